// Runs the benchmarks (TypeScript, through Backstage's own Node transform) and prints
// figures and ratios. `npm run bench`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const benches = [];
for (const dir of ['plugins', 'packages']) {
  for (const pkg of readdirSync(join(root, dir))) {
    const benchDir = join(root, dir, pkg, 'bench');
    try {
      for (const file of readdirSync(benchDir)) {
        if (file.endsWith('.bench.ts')) benches.push(join(benchDir, file));
      }
    } catch {
      // no bench folder
    }
  }
}
let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${bench.slice(root.length)}`);
  const result = spawnSync(
    process.execPath,
    ['--require', require_resolve('@backstage/cli/config/nodeTransform.cjs'), bench],
    { stdio: 'inherit', cwd: root },
  );
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

function require_resolve(id) {
  return join(root, 'node_modules', id);
}
