// @ts-check
/**
 * Event-loop delay and memory, measured inside a process under load. Loaded into every
 * Node process of a run with
 *
 *   NODE_OPTIONS="--require /abs/path/test-tooling/load/eventLoopProbe.cjs"
 *   EVENT_LOOP_PROBE_DIR=/abs/path/probe
 *
 * Each process samples its own event loop with perf_hooks.monitorEventLoopDelay (a timer
 * every RESOLUTION_MS: a loop that was busy fires it late) and, once a second, rewrites
 * <dir>/<pid>.json with its figures. The measured window is set from outside through
 * files, so the test needs no signal the process might use for something else: when
 * <dir>/start appears the histogram is reset and the RSS noted; when <dir>/stop appears
 * the window's figures are frozen. Nothing is sent anywhere; the process is not slowed
 * by more than one timer per RESOLUTION_MS and one small file write a second.
 *
 * Delays are reported beyond the sampling interval: monitorEventLoopDelay counts the
 * whole time between two firings of its timer, so an idle loop reads RESOLUTION_MS.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { isMainThread } = require('node:worker_threads');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const DIR = process.env.EVENT_LOOP_PROBE_DIR;
const RESOLUTION_MS = 10;
const INSTALLED = Symbol.for('cloudspectra.load.eventLoopProbe');

if (DIR && isMainThread && !(/** @type {any} */ (globalThis)[INSTALLED])) {
  /** @type {any} */ (globalThis)[INSTALLED] = true;
  const file = path.join(DIR, `${process.pid}.json`);
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const mib = (/** @type {number} */ bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
  const beyondInterval = (/** @type {number} */ ns) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);

  /** @type {{ startedAt: number, rssStartMiB: number, heapStartMiB: number, rssPeakMiB: number, stoppedAt?: number, figures?: object } | undefined} */
  let window;

  const figures = () => ({
    samples: histogram.count,
    meanMs: beyondInterval(histogram.mean),
    p50Ms: beyondInterval(histogram.percentile(50)),
    p99Ms: beyondInterval(histogram.percentile(99)),
    maxMs: beyondInterval(histogram.max),
  });

  const write = () => {
    const memory = process.memoryUsage();
    const now = { rssMiB: mib(memory.rss), heapUsedMiB: mib(memory.heapUsed) };
    if (window && !window.stoppedAt) window.rssPeakMiB = Math.max(window.rssPeakMiB, now.rssMiB);
    const state = {
      pid: process.pid,
      argv: process.argv.slice(1, 3),
      listening: process.getActiveResourcesInfo().includes('TCPServerWrap'),
      resolutionMs: RESOLUTION_MS,
      uptimeSeconds: Math.round(process.uptime()),
      now,
      sinceStart: window ? undefined : figures(),
      window,
    };
    try {
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(state));
      fs.renameSync(`${file}.tmp`, file);
    } catch {
      // The directory is gone: the test has finished with this process.
    }
  };

  const tick = () => {
    if (!window && fs.existsSync(path.join(DIR, 'start'))) {
      histogram.reset();
      const memory = process.memoryUsage();
      window = {
        startedAt: Date.now(),
        rssStartMiB: mib(memory.rss),
        heapStartMiB: mib(memory.heapUsed),
        rssPeakMiB: mib(memory.rss),
      };
    } else if (window && !window.stoppedAt && fs.existsSync(path.join(DIR, 'stop'))) {
      const memory = process.memoryUsage();
      window.stoppedAt = Date.now();
      window.figures = { ...figures(), rssEndMiB: mib(memory.rss), heapEndMiB: mib(memory.heapUsed) };
    }
    write();
  };
  setInterval(tick, 1000).unref();
  process.once('exit', write);
}
