// @ts-check
'use strict';

// What the components authenticate with: a static system:masters bearer token
// (tokens.csv), the service-account signing key pair, and a kubeconfig for the token.
// The apiserver makes its own self-signed serving certificate in its --cert-dir.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/** @param {string} server @param {string} token */
function kubeconfigYaml(server, token) {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fabric-test',
    '  cluster:',
    `    server: ${server}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: fabric-test-admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: fabric-test',
    '  context:',
    '    cluster: fabric-test',
    '    user: fabric-test-admin',
    '    namespace: default',
    'current-context: fabric-test',
    '',
  ].join('\n');
}

/**
 * Writes the credentials of a control plane serving at `server` into `dir`.
 * @param {string} dir
 * @param {string} server
 * @returns {{ token: string, kubeconfigPath: string, tokenAuthFile: string,
 *   serviceAccountPublicKeyFile: string, serviceAccountSigningKeyFile: string }}
 */
function writeCredentials(dir, server) {
  const token = crypto.randomBytes(24).toString('hex');
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const serviceAccountSigningKeyFile = path.join(dir, 'sa.key');
  const serviceAccountPublicKeyFile = path.join(dir, 'sa.pub');
  const tokenAuthFile = path.join(dir, 'tokens.csv');
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  fs.writeFileSync(serviceAccountSigningKeyFile, privateKey, { mode: 0o600 });
  fs.writeFileSync(serviceAccountPublicKeyFile, publicKey);
  fs.writeFileSync(tokenAuthFile, `${token},fabric-test-admin,fabric-test-admin,"system:masters"\n`, { mode: 0o600 });
  fs.writeFileSync(kubeconfigPath, kubeconfigYaml(server, token), { mode: 0o600 });
  return { token, kubeconfigPath, tokenAuthFile, serviceAccountPublicKeyFile, serviceAccountSigningKeyFile };
}

module.exports = { writeCredentials };
