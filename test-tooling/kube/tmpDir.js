// @ts-check
'use strict';

// The temp dir of one control plane (logs, kubeconfig, tokens, SA keys, etcd data), and
// the sweep of dirs that killed test processes left behind.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TMP_PREFIX = 'fabric-kube-';
const OWNER_FILE = 'owner.pid';

/** @param {number} pid */
function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

// Removes temp dirs left behind by test processes that were killed before stop()
// (etcd preallocates ~60 MB of WAL per dir). Dirs without an owner.pid (kept on
// purpose: keepTmpDir or a failed start) and recent dirs are left alone.
/** @param {(msg: string) => void} log */
function sweepStaleTmpDirs(log) {
  /** @type {string[]} */
  let entries = [];
  try { entries = fs.readdirSync(os.tmpdir()); } catch { return; }
  for (const entry of entries) {
    if (!entry.startsWith(TMP_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), entry);
    try {
      const ownerFile = path.join(dir, OWNER_FILE);
      const pid = Number(fs.readFileSync(ownerFile, 'utf8').trim());
      const ageMs = Date.now() - fs.statSync(ownerFile).mtimeMs;
      if (pid && !pidAlive(pid) && ageMs > 10 * 60 * 1000) {
        fs.rmSync(dir, { recursive: true, force: true });
        log(`kube test plane: removed stale ${dir} (owner ${pid} is gone)`);
      }
    } catch { /* not ours, no owner file, or already gone */ }
  }
}

/**
 * A new temp dir. Owned by this process unless kept: a later sweep removes an owned dir
 * once its owner is gone, and never a kept one.
 * @param {{ keep: boolean }} options
 */
function createTmpDir({ keep }) {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), TMP_PREFIX));
  if (!keep) fs.writeFileSync(path.join(tmpDir, OWNER_FILE), `${process.pid}\n`);
  return tmpDir;
}

/** Keeps a temp dir for good (a failed start's logs): no sweep removes it. @param {string} tmpDir */
function disownTmpDir(tmpDir) {
  fs.rmSync(path.join(tmpDir, OWNER_FILE), { force: true });
}

module.exports = { sweepStaleTmpDirs, createTmpDir, disownTmpDir };
