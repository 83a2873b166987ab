import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';

/** The repository root, where the app-config files live. */
export const REPO_ROOT = path.resolve(__dirname, '../../../..');

/**
 * `backend.auth` of app-config.production.yaml exactly as shipped, with its `${VARS}`
 * taken from `env`: the tests check the real file, not a copy of it.
 */
export function productionAuthConfig(env: Record<string, string>) {
  const text = readFileSync(path.join(REPO_ROOT, 'app-config.production.yaml'), 'utf8');
  return yaml.parse(text.replace(/\$\{(\w+)\}/g, (_, name) => env[name] ?? '')).backend.auth;
}
