// `npm run sandbox:submit`: creates examples/sandbox-workload.yaml (or the file given) in
// the running sandbox's hub cluster, as `kubectl apply -f` would for new objects.
import fs from 'node:fs';
import path from 'node:path';
import { apiserver, SAMPLE_WORKLOAD, STATE_FILE, submitWorkload } from './sandboxEstate.mjs';

if (!fs.existsSync(STATE_FILE)) {
  console.error('[sandbox] no sandbox is running: start it with `npm run sandbox` and wait for "ready"');
  process.exit(1);
}
const state = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
const file = process.argv[2] ? path.resolve(process.argv[2]) : SAMPLE_WORKLOAD;
try {
  const created = await submitWorkload(apiserver(state), file);
  for (const name of created) console.log(`[sandbox] created ${name}`);
  console.log('[sandbox] watch the estate page: http://localhost:3000/fabric');
} catch (error) {
  console.error(`[sandbox] could not submit ${file}: ${error.message}`);
  process.exit(1);
}
