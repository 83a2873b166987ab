// What packages/backend/Dockerfile does, read from the Dockerfile itself, so the tests
// that mirror the image without Docker follow it when it changes:
//
//   readDockerfile()          → { env, copies, runs, cmd }
//   dockerignore()            → (relativePath) => true when the build context leaves it out
//   copyFromContext(copy, to) → copies one COPY instruction's sources as Docker would

import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './portal.mjs';

export const DOCKERFILE = path.join(ROOT, 'packages/backend/Dockerfile');

/** Instructions with their continuation lines joined; comments and blank lines dropped. */
function instructions(text) {
  const joined = text
    .split('\n')
    .filter(line => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map(line => line.trim())
    .filter(Boolean)
    .map(line => {
      const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line);
      return { op: op.toUpperCase(), rest };
    });
}

/** Splits `KEY=value KEY2="value 2"` (the ENV form the Dockerfile uses). */
function parseEnv(rest) {
  const env = {};
  for (const [, key, quoted, bare] of rest.matchAll(
    /(\w+)=(?:"([^"]*)"|(\S*))/g,
  )) {
    env[key] = quoted ?? bare;
  }
  return env;
}

export function readDockerfile() {
  const env = {};
  const copies = [];
  const runs = [];
  let cmd;
  for (const { op, rest } of instructions(
    fs.readFileSync(DOCKERFILE, 'utf8'),
  )) {
    if (op === 'ENV') Object.assign(env, parseEnv(rest));
    if (op === 'RUN') runs.push(rest.replace(/--mount=\S+\s*/g, '').trim());
    if (op === 'CMD') cmd = JSON.parse(rest);
    if (op === 'COPY') {
      const words = rest.split(/\s+/).filter(word => !word.startsWith('--'));
      copies.push({ sources: words.slice(0, -1), dest: words.at(-1) });
    }
  }
  return { env, copies, runs, cmd };
}

function patternToRegExp(pattern) {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/**
 * The .dockerignore rules as Docker applies them: a pattern excludes a path when it
 * matches the path or one of its parent directories; the last matching line wins, and
 * a `!pattern` line lets a path back in.
 */
export function dockerignore() {
  const rules = fs
    .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map(line => line.trim())
    .filter(line => line && !line.startsWith('#'))
    .map(line => {
      const include = line.startsWith('!');
      const pattern = path.posix
        .normalize(line.slice(include ? 1 : 0))
        .replace(/^\/|\/$/g, '');
      return { include, regexp: patternToRegExp(pattern) };
    });
  return relativePath => {
    const parts = relativePath.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const rule of rules) {
      if (prefixes.some(prefix => rule.regexp.test(prefix)))
        ignored = !rule.include;
    }
    return ignored;
  };
}

/** Context paths a COPY source names; a `*` in the last segment is expanded. */
function expandSource(source) {
  const dir = path.posix.dirname(source);
  const base = path.posix.basename(source);
  if (!base.includes('*')) return [source];
  const regexp = patternToRegExp(base);
  return fs
    .readdirSync(path.join(ROOT, dir))
    .filter(name => regexp.test(name))
    .map(name => path.posix.join(dir, name));
}

/**
 * Copies what one COPY instruction takes from the build context (the repository root,
 * minus .dockerignore) into `imageDir`, the image's WORKDIR. A directory source copies
 * its contents into the destination; files land in a destination ending in `/`.
 * Returns the context paths copied; a source the context lacks throws, as in Docker.
 */
export function copyFromContext(
  { sources, dest },
  imageDir,
  ignored = dockerignore(),
) {
  const copied = [];
  const copyTree = (relative, target) => {
    if (ignored(relative)) return;
    const from = path.join(ROOT, relative);
    if (fs.statSync(from).isDirectory()) {
      for (const name of fs.readdirSync(from)) {
        copyTree(path.posix.join(relative, name), path.join(target, name));
      }
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(from, target);
      copied.push(relative);
    }
  };
  for (const source of sources) {
    for (const relative of expandSource(source)) {
      if (ignored(relative) || !fs.existsSync(path.join(ROOT, relative))) {
        throw new Error(
          `COPY ${source}: ${relative} is not in the build context`,
        );
      }
      const isDir = fs.statSync(path.join(ROOT, relative)).isDirectory();
      const target =
        isDir || !dest.endsWith('/')
          ? path.join(imageDir, dest)
          : path.join(imageDir, dest, path.posix.basename(relative));
      copyTree(relative, target);
    }
  }
  return copied;
}
