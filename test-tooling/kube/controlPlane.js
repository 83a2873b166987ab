// @ts-check
'use strict';

// Kubernetes test plane for CloudSpectra Fabric: a real etcd + kube-apiserver +
// kube-scheduler on 127.0.0.1 (no Docker; kube-controller-manager and KWOK on request),
// with the Karpenter CRDs installed. See README.md in this folder.
//
// CommonJS, Node >= 20 builtins only. Usage:
//
//   const { startControlPlane } = require('./test-tooling/kube/controlPlane');
//   const cp = await startControlPlane({ log: console.error });
//   // cp.server, cp.token, cp.kubeconfigPath, cp.crdVersion, cp.kubeVersion
//   await cp.stop();
//
// This file composes the parts: scripts.js (build.sh, crds.sh), tmpDir.js,
// credentials.js (token, SA keys, kubeconfig), components.js (the three processes and
// their readiness), crds.js (CRD install), processes.js and loopback.js underneath.

const fs = require('node:fs');
const path = require('node:path');
const {
  CONTROLLER_MANAGER_CONTROLLERS, KWOK_NODE_ANNOTATION, startApiserver, startControllerManager, startEtcd, startKwok,
  startScheduler,
} = require('./components');
const { installKarpenterCrds, installRepoCrds } = require('./crds');
const { writeCredentials } = require('./credentials');
const { freePorts, rawRequest } = require('./loopback');
const { killGroup, stopProcess } = require('./processes');
const { runScript } = require('./scripts');
const { createTmpDir, disownTmpDir, sweepStaleTmpDirs } = require('./tmpDir');

const versions = JSON.parse(fs.readFileSync(path.join(__dirname, 'versions.json'), 'utf8'));

/** Kubernetes release the binary is built from (versions.json), e.g. "1.37.2". */
const kubernetesVersion = versions.kubernetes;
/** github.com/aws/karpenter-provider-aws release the CRDs come from (versions.json), e.g. "1.15.2". */
const karpenterVersion = versions.karpenter;
/** sigs.k8s.io/kwok release the kubelet stand-in is built from (versions.json), e.g. "0.8.0". */
const kwokVersion = versions.kwok;

/**
 * Starts etcd, kube-apiserver and kube-scheduler on free 127.0.0.1 ports, installs the
 * Karpenter CRDs and resolves once the apiserver is ready, every CRD is Established and
 * (by default) the scheduler is ready. Options and result: controlPlane.d.ts.
 *
 * @param {import('./controlPlane').StartControlPlaneOptions} [opts]
 * @returns {Promise<import('./controlPlane').ControlPlane>}
 */
async function startControlPlane({
  log = () => {},
  timeoutMs = 120000,
  waitForScheduler = true,
  installCrds = true,
  keepTmpDir = false,
  kwok = false,
  controllerManager = false,
} = {}) {
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

  log(`kube test plane: ensuring Kubernetes v${kubernetesVersion} binary (build.sh) ...`);
  const binary = await runScript('build.sh');
  const crdDir = installCrds ? await runScript('crds.sh') : null;
  const kwokBinary = kwok ? await runScript('kwok/build.sh') : null;
  log(`kube test plane: binary ${binary}${crdDir ? `, CRDs ${crdDir}` : ''}${kwokBinary ? `, KWOK ${kwokBinary}` : ''} (${elapsed()})`);

  sweepStaleTmpDirs(log);
  const tmpDir = createTmpDir({ keep: keepTmpDir });
  /** @type {import('./processes').ComponentProcess[]} */
  const procs = [];
  let stopped = false;

  const onExit = () => {
    for (const p of procs) killGroup(p.pgid, 'SIGKILL');
    if (!keepTmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  // Default: SIGKILL all three process groups at once (the state is a throwaway temp
  // dir; graceful shutdown costs ~6s). { graceful: true }: SIGTERM scheduler, then
  // apiserver, then etcd, each with a 10s grace period.
  async function stop({ graceful = false } = {}) {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    if (graceful) {
      for (const p of [...procs].reverse()) await stopProcess(p);
    } else {
      await Promise.all(procs.map((p) => stopProcess(p, 0)));
    }
    if (!keepTmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  }

  try {
    const [etcdClientPort, etcdPeerPort, apiPort, schedPort, kwokPort, managerPort] = await freePorts(6);
    const server = `https://127.0.0.1:${apiPort}`;
    const credentials = writeCredentials(tmpDir, server);
    const { token, kubeconfigPath } = credentials;
    const p = (/** @type {string} */ f) => path.join(tmpDir, f);
    const logs = {
      etcd: p('etcd.log'), apiserver: p('kube-apiserver.log'), scheduler: p('kube-scheduler.log'),
      ...(kwokBinary ? { kwok: p('kwok.log') } : {}),
      ...(controllerManager ? { controllerManager: p('kube-controller-manager.log') } : {}),
    };

    const etcd = startEtcd({
      binary, tmpDir, clientPort: etcdClientPort, peerPort: etcdPeerPort, logFile: logs.etcd, timeoutMs,
    });
    procs.push(etcd.process);
    await etcd.waitUntilReady();
    log(`kube test plane: etcd ready on ${etcd.url} (${elapsed()})`);

    const apiserver = startApiserver({
      binary, tmpDir, etcdUrl: etcd.url, port: apiPort, token, credentials, logFile: logs.apiserver, timeoutMs,
      watch: [etcd.process],
    });
    procs.push(apiserver.process);
    const kubeVersion = await apiserver.waitUntilReady();
    log(`kube test plane: kube-apiserver ${kubeVersion} ready on ${server} (${elapsed()})`);

    const running = [etcd.process, apiserver.process];
    const scheduler = startScheduler({
      binary, tmpDir, kubeconfigPath, port: waitForScheduler ? schedPort : null, logFile: logs.scheduler, timeoutMs,
      watch: running,
    });
    procs.push(scheduler.process);

    // The CRDs install while the scheduler syncs its informers.
    let crdVersion = null;
    /** @type {string[]} */
    let crds = [];
    if (crdDir) {
      ({ crdVersion, crds } = await installKarpenterCrds({ server, token, crdDir, timeoutMs, watch: running }));
      log(`kube test plane: Karpenter ${crdVersion} CRDs established: ${crds.join(', ')} (${elapsed()})`);
      const repoCrds = await installRepoCrds({ server, token, binary, timeoutMs, watch: running });
      crds = [...crds, ...repoCrds];
      log(`kube test plane: fabric CRDs established: ${repoCrds.join(', ')} (${elapsed()})`);
    }

    await scheduler.waitUntilReady();
    if (waitForScheduler) log(`kube test plane: kube-scheduler ready (${elapsed()})`);

    if (controllerManager) {
      const manager = startControllerManager({
        binary, tmpDir, kubeconfigPath, port: managerPort, server, token,
        serviceAccountSigningKeyFile: credentials.serviceAccountSigningKeyFile,
        // The apiserver's self-signed serving certificate is its own CA.
        rootCaFile: path.join(tmpDir, 'certs', 'apiserver.crt'),
        controllers: typeof controllerManager === 'object' && controllerManager.controllers
          ? controllerManager.controllers : CONTROLLER_MANAGER_CONTROLLERS,
        logFile: p('kube-controller-manager.log'), timeoutMs, watch: running,
      });
      procs.push(manager.process);
      await manager.waitUntilReady();
      log(`kube test plane: kube-controller-manager ready (${elapsed()})`);
    }

    if (kwokBinary) {
      const kwokProcess = startKwok({
        binary: kwokBinary, kubeconfigPath, port: kwokPort, logFile: p('kwok.log'), timeoutMs, watch: running,
      });
      procs.push(kwokProcess.process);
      await kwokProcess.waitUntilReady();
      log(`kube test plane: KWOK v${kwokVersion} ready, managing Nodes annotated ${KWOK_NODE_ANNOTATION}=fake (${elapsed()})`);
    }

    /** @type {import('./controlPlane').ControlPlane['request']} */
    const request = (method, urlPath, body, headers) => rawRequest(`${server}${urlPath}`, {
      method, token, body, headers, timeoutMs: 30000,
    });

    return {
      server,
      etcdUrl: etcd.url,
      token,
      kubeconfigPath,
      crdVersion,
      kubeVersion,
      stop,
      tmpDir,
      binary,
      crdDir,
      crds,
      logs,
      kwokBinary,
      request,
    };
  } catch (err) {
    const keep = keepTmpDir;
    keepTmpDir = true; // keep the logs the error points at
    disownTmpDir(tmpDir); // and never sweep them
    await stop();
    if (!keep) /** @type {Error} */ (err).message += `\n(logs kept in ${tmpDir})`;
    throw err;
  }
}

module.exports = {
  startControlPlane, kubernetesVersion, karpenterVersion, kwokVersion, KWOK_NODE_ANNOTATION, CONTROLLER_MANAGER_CONTROLLERS,
};
