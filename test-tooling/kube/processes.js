// @ts-check
'use strict';

// The component processes: started in their own process groups under a guard, stopped
// group by group, and waited on with a readiness check that fails fast (with the log
// tail) when a component dies.

const { spawn } = require('node:child_process');
const fs = require('node:fs');

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {string} file */
function tail(file, lines = 40) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch (err) {
    return `(no log: ${/** @type {Error} */ (err).message})`;
  }
}

// Each component runs under a small bash guard in its own process group:
// - stop() signals the whole group;
// - the guard holds the write end of a pipe from this Node process on fd 3: when Node
//   dies in any way (even SIGKILL), the pipe closes and the guard SIGKILLs the component
//   (its state is throwaway; an apiserver whose etcd is gone would hang in a graceful
//   shutdown), so crashed/interrupted test runs do not leave etcd/apiservers behind.
const GUARD = [
  'exec 3<&0 </dev/null',
  '"$@" 3<&- & c=$!',
  '(read -r -u 3 _; kill -KILL "$c" 2>/dev/null) & g=$!',
  'wait "$c"; rc=$?',
  'kill "$g" 2>/dev/null',
  'exit "$rc"',
].join('\n');

/**
 * @typedef {{ name: string, child: import('node:child_process').ChildProcess, pgid: number,
 *   logFile: string, exited: null | { code?: number | null, signal?: string | null, error?: string } }} ComponentProcess
 */

/**
 * @param {string} name @param {string} bin @param {string[]} args @param {string} logFile
 * @returns {ComponentProcess}
 */
function startProcess(name, bin, args, logFile) {
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `# ${new Date().toISOString()} ${bin} ${args.join(' ')}\n`);
  const child = spawn('bash', ['-c', GUARD, `fabric-${name}`, bin, ...args], {
    detached: true, // own process group, killed as a whole
    stdio: ['pipe', fd, fd],
    env: process.env,
  });
  fs.closeSync(fd);
  /** @type {ComponentProcess} */
  const proc = { name, child, pgid: /** @type {number} */ (child.pid), logFile, exited: null };
  child.on('exit', (code, signal) => { proc.exited = { code, signal }; });
  child.on('error', (err) => { proc.exited = { error: err.message }; });
  /** @type {import('node:stream').Writable} */ (child.stdin).on('error', () => {}); // EPIPE once the guard is gone
  return proc;
}

// True while a process of the group is still running. On Linux, zombies do not count:
// a SIGKILLed component whose guard died first is re-parented to PID 1, which may reap
// it late, but it has already released its ports and files.
/** @param {number} pgid */
function groupAlive(pgid) {
  if (process.platform === 'linux') {
    try {
      for (const entry of fs.readdirSync('/proc')) {
        if (!/^[0-9]+$/.test(entry)) continue;
        let stat;
        try { stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8'); } catch { continue; }
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
      }
      return false;
    } catch { /* no usable /proc: fall back to kill(0) */ }
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

/** @param {number} pgid @param {NodeJS.Signals} signal */
function killGroup(pgid, signal) {
  try { process.kill(-pgid, signal); } catch { /* already gone */ }
}

/** @param {ComponentProcess | undefined} proc */
async function stopProcess(proc, graceMs = 10000) {
  if (!proc || !groupAlive(proc.pgid)) return;
  if (graceMs > 0) {
    killGroup(proc.pgid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (groupAlive(proc.pgid) && Date.now() < deadline) await sleep(50);
  }
  if (groupAlive(proc.pgid)) {
    killGroup(proc.pgid, 'SIGKILL');
    while (groupAlive(proc.pgid)) await sleep(20);
  }
}

/** @param {ComponentProcess} proc */
function describeExit(proc) {
  const e = proc.exited;
  if (!e) return 'running';
  if (e.error) return `failed to start: ${e.error}`;
  return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
}

// Polls check() until it returns a truthy value; fails fast when a watched process exits.
/**
 * @template T
 * @param {string} what
 * @param {() => Promise<T>} check
 * @param {{ timeoutMs: number, watch?: ComponentProcess[], intervalMs?: number }} options
 * @returns {Promise<T>}
 */
async function waitFor(what, check, { timeoutMs, watch = [], intervalMs = 200 }) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    for (const p of watch) {
      if (p.exited) {
        throw new Error(`${p.name} ${describeExit(p)} while waiting for ${what}. Last lines of ${p.logFile}:\n${tail(p.logFile)}`);
      }
    }
    try {
      const result = await check();
      if (result) return result;
    } catch (err) {
      last = /** @type {Error} */ (err).message;
    }
    if (Date.now() > deadline) {
      const logs = watch.map((p) => `--- ${p.name} (${p.logFile}):\n${tail(p.logFile)}`).join('\n');
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? ` (last error: ${last})` : ''}\n${logs}`);
    }
    await sleep(intervalMs);
  }
}

module.exports = { sleep, tail, startProcess, stopProcess, killGroup, describeExit, waitFor };
