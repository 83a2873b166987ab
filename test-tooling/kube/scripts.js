// @ts-check
'use strict';

const { spawn } = require('node:child_process');
const path = require('node:path');

// Runs a bash script of this folder (build.sh, crds.sh). Its stderr is forwarded live
// (build progress stays visible) and its tail is kept for the error; the last non-empty
// stdout line is the result (a path).
/** @param {string} name @returns {Promise<string>} */
function runScript(name) {
  return new Promise((resolve, reject) => {
    const script = path.join(__dirname, name);
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => {
      process.stderr.write(d);
      err = (err + d.toString('utf8')).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${script} failed (${signal || `exit code ${code}`}):\n${err.trim()}`));
        return;
      }
      const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
      if (!lines.length) reject(new Error(`${script} printed no path`));
      else resolve(lines[lines.length - 1]);
    });
  });
}

module.exports = { runScript };
