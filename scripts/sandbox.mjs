// `npm run sandbox`: moto_server on a free loopback port, then the portal with
// app-config.sandbox.yaml pointing the fabric at it. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { startMotoServer } = require('../test-tooling/moto/motoServer.js');
const root = new URL('..', import.meta.url).pathname;

const moto = await startMotoServer();
console.log(`[sandbox] moto_server ${moto.version} at ${moto.endpoint}`);
const portal = spawn(
  'yarn',
  ['backstage-cli', 'repo', 'start', '--config', `${root}app-config.yaml`, '--config', `${root}app-config.sandbox.yaml`],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      APP_CONFIG_fabric_aws_endpoint: moto.endpoint,
      // moto accepts any key; these never leave this machine.
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      AWS_REGION: 'us-east-1',
    },
  },
);
const stop = async () => {
  portal.kill('SIGTERM');
  await moto.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
portal.on('exit', async code => {
  await moto.stop();
  process.exit(code ?? 0);
});
