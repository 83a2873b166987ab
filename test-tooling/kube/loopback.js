// @ts-check
'use strict';

// Talking to the components on 127.0.0.1: free ports for them, and plain HTTP(S)
// requests that accept their self-signed serving certificates.

const https = require('node:https');
const http = require('node:http');
const net = require('node:net');

const insecureAgent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });

// Distinct free loopback ports: all listeners stay open until every port is chosen.
/** @param {number} n @returns {Promise<number[]>} */
async function freePorts(n) {
  /** @type {net.Server[]} */
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      servers.push(srv);
      await new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve(undefined));
      });
    }
    return servers.map((s) => /** @type {net.AddressInfo} */ (s.address()).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve(undefined)))));
  }
}

/**
 * Plain HTTP(S) request; resolves { status, headers, body } (body parsed when JSON).
 * @param {string} url
 * @param {{ method?: string, token?: string, body?: unknown, headers?: Record<string, string>, timeoutMs?: number }} [opts]
 * @returns {Promise<{ status: number, headers: import('node:http').IncomingHttpHeaders, body: any }>}
 */
function rawRequest(url, { method = 'GET', token, body, headers = {}, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    /** @type {Record<string, string | number>} */
    const h = { Accept: 'application/json', ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    if (payload !== undefined) {
      if (!h['Content-Type']) h['Content-Type'] = 'application/json';
      h['Content-Length'] = Buffer.byteLength(payload);
    }
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(u, {
      method,
      headers: h,
      agent: u.protocol === 'https:' ? insecureAgent : undefined,
      timeout: timeoutMs,
    }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        /** @type {any} */
        let parsed = text;
        if ((res.headers['content-type'] || '').includes('json')) {
          try { parsed = JSON.parse(text); } catch { /* keep text */ }
        }
        resolve({ status: /** @type {number} */ (res.statusCode), headers: res.headers, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms: ${method} ${url}`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

module.exports = { freePorts, rawRequest };
