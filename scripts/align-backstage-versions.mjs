// Pins every @backstage/* dependency in the workspace to the newest version the npm
// registry serves, so the whole repo stays on one consistent release.
// `backstage-cli versions:bump` cannot be used: its release manifest is not on a registry.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const files = ['package.json'];
for (const dir of ['packages', 'plugins']) {
  for (const name of readdirSync(join(root, dir))) {
    const f = join(dir, name, 'package.json');
    if (existsSync(join(root, f))) files.push(f);
  }
}
const latest = new Map();
const versionOf = pkg => {
  if (!latest.has(pkg)) {
    latest.set(pkg, execFileSync('npm', ['view', pkg, 'version'], { encoding: 'utf8' }).trim());
  }
  return latest.get(pkg);
};
for (const f of files) {
  const json = JSON.parse(readFileSync(join(root, f), 'utf8'));
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
    for (const pkg of Object.keys(json[field] ?? {})) {
      if (pkg.startsWith('@backstage/') && field !== 'peerDependencies') {
        json[field][pkg] = `^${versionOf(pkg)}`;
      }
    }
  }
  writeFileSync(join(root, f), `${JSON.stringify(json, null, 2)}\n`);
}
console.log([...latest].map(([k, v]) => `${k}@${v}`).join('\n'));
