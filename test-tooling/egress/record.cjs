// @ts-check
/**
 * Egress recorder, loaded into every Node process of a run with
 *
 *   NODE_OPTIONS="--require /abs/path/test-tooling/egress/record.cjs"
 *   EGRESS_RECORD_FILE=/abs/path/egress.jsonl
 *
 * It wraps the ways a Node process reaches another host — net.Socket#connect (which
 * net.connect, http(s), undici's fetch, tls and every client library end up in),
 * tls.connect, UDP datagrams, and the dns lookups and resolvers — and appends one JSON line per
 * outbound destination to EGRESS_RECORD_FILE: { pid, kind, host, port }. It records
 * and lets the call proceed; it blocks nothing, so a test sees what a real run does.
 *
 * The recorder itself opens no sockets and resolves no names: it only appends to a
 * file with fs.appendFileSync. Two opt-in switches exist to test the test:
 *   EGRESS_SELF_CHECK=127.0.0.1:<port>  once per process, connect there through the
 *       wrapped net.Socket#connect and send "egress-self-check <pid>" — proof that the
 *       hook is live in that process (the test listens on that port);
 *   EGRESS_CANARY_LOOKUP=<hostname>     once per process, dns.lookup(<hostname>) — a
 *       planted non-loopback call that the egress test must report as a failure.
 *
 * Worker threads load the preload too (each has its own globals). Child processes
 * inherit it: NODE_OPTIONS and the EGRESS_* variables are put back into any explicit
 * `env` given to child_process, and each spawn is recorded
 * (kind "spawn") so a child that is not Node, and so not hooked, is visible.
 */
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');
const dns = require('node:dns');
const dgram = require('node:dgram');
const childProcess = require('node:child_process');

const RECORD_FILE = process.env.EGRESS_RECORD_FILE;
const PRELOAD = `--require ${__filename}`;
const INSTALLED = Symbol.for('cloudspectra.egress.recorder');

function append(entry) {
  if (!RECORD_FILE) return;
  try {
    fs.appendFileSync(
      RECORD_FILE,
      `${JSON.stringify({ pid: process.pid, ...entry })}\n`,
    );
  } catch {
    // Recording must never change what the process does.
  }
}

/** The caller, for a destination worth a look: a few frames outside this file. */
function caller() {
  return (new Error().stack ?? '')
    .split('\n')
    .slice(1)
    .filter(
      line => !line.includes(__filename) && !line.includes('node:internal'),
    )
    .slice(0, 6)
    .map(line => line.trim());
}

/** Where a net.Socket#connect call goes, whichever of its argument forms is used. */
function connectTarget(args) {
  // net.connect() hands over its normalized arguments as an array: [options, callback].
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first && typeof first === 'object') {
    if (typeof first.path === 'string') return { path: first.path };
    return { host: first.host ?? 'localhost', port: first.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return {
    host: typeof args[1] === 'string' ? args[1] : 'localhost',
    port: first,
  };
}

function install() {
  if (globalThis[INSTALLED]) return;
  globalThis[INSTALLED] = true;
  append({
    kind: 'process',
    argv: process.argv.slice(0, 3),
    ppid: process.ppid,
  });

  const socketConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function connect(...args) {
    const target = connectTarget(args);
    append(
      target.path !== undefined
        ? { kind: 'ipc', path: target.path }
        : {
            kind: 'connect',
            host: String(target.host),
            port: Number(target.port),
            stack: caller(),
          },
    );
    return socketConnect.apply(this, args);
  };

  const tlsConnect = tls.connect;
  tls.connect = function connect(...args) {
    const options = args.find(a => a && typeof a === 'object') ?? {};
    const port = typeof args[0] === 'number' ? args[0] : options.port;
    const host =
      typeof args[1] === 'string'
        ? args[1]
        : options.host ?? options.servername;
    append({
      kind: 'tls',
      host: String(host ?? 'localhost'),
      port: Number(port ?? 443),
      stack: caller(),
    });
    return tlsConnect.apply(this, args);
  };

  // UDP: a datagram to a host is egress too (metrics and telemetry agents use it).
  const dgramSend = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function send(...args) {
    const offsetForm =
      typeof args[1] === 'number' &&
      typeof args[2] === 'number' &&
      typeof args[3] === 'number';
    const [port, address] = offsetForm
      ? [args[3], args[4]]
      : [args[1], args[2]];
    if (typeof port === 'number') {
      append({
        kind: 'udp',
        host: String(typeof address === 'string' ? address : 'localhost'),
        port,
        stack: caller(),
      });
    }
    return dgramSend.apply(this, args);
  };
  const dgramConnect = dgram.Socket.prototype.connect;
  dgram.Socket.prototype.connect = function connect(port, address, ...rest) {
    append({
      kind: 'udp',
      host: String(typeof address === 'string' ? address : 'localhost'),
      port: Number(port),
      stack: caller(),
    });
    return dgramConnect.call(this, port, address, ...rest);
  };

  const wrapLookups = (target, names) => {
    for (const name of names) {
      const original = target[name];
      if (typeof original !== 'function') continue;
      target[name] = function lookup(hostname, ...rest) {
        append({
          kind: `dns.${name}`,
          host: String(hostname),
          stack: caller(),
        });
        return original.call(this, hostname, ...rest);
      };
    }
  };
  const resolvers = Object.keys(dns).filter(
    n =>
      /^resolve/.test(n) || ['lookup', 'lookupService', 'reverse'].includes(n),
  );
  wrapLookups(dns, resolvers);
  wrapLookups(dns.promises, resolvers);
  wrapLookups(dns.Resolver.prototype, resolvers);
  wrapLookups(dns.promises.Resolver.prototype, resolvers);

  // Child processes: keep the preload and the EGRESS_* settings in an explicit env.
  const inherit = env => {
    if (!env || typeof env !== 'object') return env;
    const withRecorder = { ...env };
    for (const [key, value] of Object.entries(process.env)) {
      if (key.startsWith('EGRESS_') && withRecorder[key] === undefined)
        withRecorder[key] = value;
    }
    const nodeOptions = withRecorder.NODE_OPTIONS ?? '';
    if (!nodeOptions.includes(__filename))
      withRecorder.NODE_OPTIONS = `${nodeOptions} ${PRELOAD}`.trim();
    return withRecorder;
  };
  for (const name of [
    'spawn',
    'spawnSync',
    'execFile',
    'execFileSync',
    'exec',
    'execSync',
    'fork',
  ]) {
    const original = childProcess[name];
    childProcess[name] = function spawnWithRecorder(...args) {
      const optionsIndex = args.findIndex(
        (a, i) => i > 0 && a && typeof a === 'object' && !Array.isArray(a),
      );
      if (optionsIndex !== -1 && args[optionsIndex].env) {
        args[optionsIndex] = {
          ...args[optionsIndex],
          env: inherit(args[optionsIndex].env),
        };
      }
      append({ kind: 'spawn', file: String(args[0]).slice(0, 200), via: name });
      return original.apply(this, args);
    };
  }

  selfCheck();
  const canary = process.env.EGRESS_CANARY_LOOKUP;
  if (canary) dns.lookup(canary, () => {});
}

/** EGRESS_SELF_CHECK: one connection through the wrapped connect, to the test's listener. */
function selfCheck() {
  const address = process.env.EGRESS_SELF_CHECK;
  if (!address) return;
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  const socket = new net.Socket();
  socket.on('error', () => {});
  socket.unref();
  socket.connect({ host, port }, () =>
    socket.end(`egress-self-check ${process.pid}\n`),
  );
}

install();
