// @ts-check
'use strict';

// Installs the Karpenter CRDs that crds.sh cached, as raw JSON (keeps
// x-kubernetes-int-or-string etc. verbatim), and waits until each is Established.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { rawRequest } = require('./loopback');
const { waitFor } = require('./processes');

const CRD_API = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/**
 * @param {{ server: string, token: string, crdDir: string, timeoutMs: number,
 *   watch: import('./processes').ComponentProcess[] }} options
 * @returns {Promise<{ crdVersion: string, crds: string[] }>}
 */
async function installKarpenterCrds({ server, token, crdDir, timeoutMs, watch }) {
  const manifest = JSON.parse(fs.readFileSync(path.join(crdDir, 'manifest.json'), 'utf8'));
  const files = manifest.files.map((/** @type {string} */ file) => ({
    file,
    crd: JSON.parse(fs.readFileSync(path.join(crdDir, file), 'utf8')),
  }));
  const crds = await postAndWait({ server, token, files, timeoutMs, watch });
  return { crdVersion: manifest.karpenterProvider, crds };
}

/** The repo's own CRDs (the FabricNodeClass), the files deploy/kubernetes installs. */
const REPO_CRD_DIR = path.join(__dirname, '..', '..', 'deploy', 'crds');

/**
 * Installs every YAML CRD in deploy/crds, converted with the binary's yaml2json (the same
 * sigs.k8s.io/yaml kubectl uses), and waits until each is Established.
 *
 * @param {{ server: string, token: string, binary: string, timeoutMs: number,
 *   watch: import('./processes').ComponentProcess[] }} options
 * @returns {Promise<string[]>}
 */
async function installRepoCrds({ server, token, binary, timeoutMs, watch }) {
  if (!fs.existsSync(REPO_CRD_DIR)) return [];
  const files = fs.readdirSync(REPO_CRD_DIR).filter((f) => /\.ya?ml$/.test(f)).sort().map((file) => ({
    file,
    crd: JSON.parse(execFileSync(binary, ['yaml2json', path.join(REPO_CRD_DIR, file)], { encoding: 'utf8' })),
  }));
  return postAndWait({ server, token, files, timeoutMs, watch });
}

/**
 * @param {{ server: string, token: string, files: Array<{ file: string, crd: any }>, timeoutMs: number,
 *   watch: import('./processes').ComponentProcess[] }} options
 * @returns {Promise<string[]>}
 */
async function postAndWait({ server, token, files, timeoutMs, watch }) {
  /** @type {string[]} */
  const crds = [];
  for (const { file, crd } of files) {
    const r = await rawRequest(`${server}${CRD_API}`, { method: 'POST', token, body: crd, timeoutMs: 30000 });
    if (r.status !== 201) {
      throw new Error(`installing CRD ${crd.metadata.name} from ${file} failed: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    }
    crds.push(crd.metadata.name);
  }
  for (const name of crds) {
    await waitFor(`CRD ${name} Established`, async () => {
      const r = await rawRequest(`${server}${CRD_API}/${name}`, { token });
      /** @type {Array<{ type: string, status: string }>} */
      const conds = (r.body && r.body.status && r.body.status.conditions) || [];
      return conds.some((c) => c.type === 'Established' && c.status === 'True');
    }, { timeoutMs, watch, intervalMs: 100 });
  }
  return crds;
}

module.exports = { installKarpenterCrds, installRepoCrds, REPO_CRD_DIR };
