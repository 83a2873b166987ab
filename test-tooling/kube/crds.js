// @ts-check
'use strict';

// Installs the Karpenter CRDs that crds.sh cached, as raw JSON (keeps
// x-kubernetes-int-or-string etc. verbatim), and waits until each is Established.

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
  /** @type {string[]} */
  const crds = [];
  for (const file of manifest.files) {
    const crd = JSON.parse(fs.readFileSync(path.join(crdDir, file), 'utf8'));
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
  return { crdVersion: manifest.karpenterProvider, crds };
}

module.exports = { installKarpenterCrds };
