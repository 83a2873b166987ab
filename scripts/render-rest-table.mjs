#!/usr/bin/env node
/*
 * Renders the fabric's route table (plugins/fabric-backend/src/service/routes/routeTable.ts)
 * into README.md between its rest-table markers. The table is TypeScript without imports,
 * so Node 24 loads it directly. A test in the same package fails when README.md differs.
 *
 *   node scripts/render-rest-table.mjs          rewrite README.md
 *   node scripts/render-rest-table.mjs --check  exit 1 if README.md is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { withRenderedRestTable } = await import(
  path.join(root, 'plugins/fabric-backend/src/service/routes/routeTable.ts')
);
const readmePath = path.join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const rendered = withRenderedRestTable(readme);

if (process.argv.includes('--check')) {
  if (rendered !== readme) {
    console.error('README.md REST table is out of date: run node scripts/render-rest-table.mjs');
    process.exit(1);
  }
} else if (rendered !== readme) {
  writeFileSync(readmePath, rendered);
  console.log('README.md REST table rendered');
}
