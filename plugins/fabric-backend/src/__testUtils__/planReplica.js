#!/usr/bin/env node
// A second backend replica for the plan-lease tests, as its own process so that the test
// can kill it with SIGKILL mid-apply. Runs the TypeScript entry through Backstage's Node
// transform, as the CLI does.
require(require.resolve('@backstage/cli/config/nodeTransform.cjs', { paths: [__dirname] }));
require('./planReplicaMain.ts');
