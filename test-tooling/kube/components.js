// @ts-check
'use strict';

// etcd, kube-apiserver and kube-scheduler: their flags, and when each counts as ready.
// All three run from the one multi-call binary that build.sh caches.

const path = require('node:path');
const { rawRequest } = require('./loopback');
const { describeExit, sleep, startProcess, tail, waitFor } = require('./processes');

/** @typedef {import('./processes').ComponentProcess} ComponentProcess */

/**
 * @param {{ binary: string, tmpDir: string, clientPort: number, peerPort: number, logFile: string,
 *   timeoutMs: number }} options
 */
function startEtcd({ binary, tmpDir, clientPort, peerPort, logFile, timeoutMs }) {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const etcd = startProcess('etcd', binary, [
    'etcd',
    '--name=default',
    `--data-dir=${path.join(tmpDir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    '--unsafe-no-fsync=true', // throwaway test data
    '--log-level=warn',
  ], logFile);
  const waitUntilReady = () => waitFor('etcd /health', async () => {
    const r = await rawRequest(`${client}/health`, { timeoutMs: 2000 });
    return r.status === 200;
  }, { timeoutMs, watch: [etcd], intervalMs: 100 });
  return { process: etcd, url: client, waitUntilReady };
}

/**
 * Flags follow envtest's defaults (see the reference design).
 * @param {{ binary: string, tmpDir: string, etcdUrl: string, port: number, token: string,
 *   credentials: { tokenAuthFile: string, serviceAccountPublicKeyFile: string, serviceAccountSigningKeyFile: string },
 *   logFile: string, timeoutMs: number, watch: ComponentProcess[] }} options
 */
function startApiserver({ binary, tmpDir, etcdUrl, port, token, credentials, logFile, timeoutMs, watch }) {
  const server = `https://127.0.0.1:${port}`;
  const apiserver = startProcess('kube-apiserver', binary, [
    'kube-apiserver',
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${path.join(tmpDir, 'certs')}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    '--authorization-mode=RBAC',
    // kube-controller-manager is optional (and its node-lifecycle controller never runs),
    // so: ServiceAccount admission stays off (without the controller there is no
    // "default" ServiceAccount and every Pod would be rejected; with it, a Pod created in
    // a namespace before its ServiceAccount would be), and nothing would ever remove the
    // node.kubernetes.io/not-ready:NoSchedule taint that TaintNodesByCondition puts on
    // every new Node (the scheduler would never bind). Nodes keep exactly the taints
    // a test gives them.
    '--disable-admission-plugins=ServiceAccount,TaintNodesByCondition',
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${credentials.serviceAccountPublicKeyFile}`,
    `--service-account-signing-key-file=${credentials.serviceAccountSigningKeyFile}`,
    `--token-auth-file=${credentials.tokenAuthFile}`,
    '--enable-priority-and-fairness=false', // skips APF bootstrap config; faster start
    '--endpoint-reconciler-type=none', // single loopback apiserver; no kubernetes Endpoints churn
  ], logFile);
  // Ready once /readyz answers; resolves the gitVersion /version reports.
  async function waitUntilReady() {
    await waitFor('kube-apiserver /readyz', async () => {
      const r = await rawRequest(`${server}/readyz`, { token, timeoutMs: 5000 });
      return r.status === 200;
    }, { timeoutMs, watch: [...watch, apiserver], intervalMs: 250 });
    const version = await rawRequest(`${server}/version`, { token });
    return /** @type {string} */ (version.body && version.body.gitVersion);
  }
  return { process: apiserver, server, waitUntilReady };
}

/**
 * With `port`, the scheduler serves /readyz there and `waitUntilReady` waits for it
 * (informers synced, so Pods created right after are scheduled); without, it runs with
 * --secure-port=0 and `waitUntilReady` only checks that it did not exit at once.
 * @param {{ binary: string, tmpDir: string, kubeconfigPath: string, port: number | null, logFile: string,
 *   timeoutMs: number, watch: ComponentProcess[] }} options
 */
function startScheduler({ binary, tmpDir, kubeconfigPath, port, logFile, timeoutMs, watch }) {
  const args = [
    'kube-scheduler',
    `--kubeconfig=${kubeconfigPath}`,
    '--leader-elect=false',
  ];
  if (port !== null) {
    args.push(
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${path.join(tmpDir, 'scheduler-certs')}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
    );
  } else {
    args.push('--secure-port=0');
  }
  const scheduler = startProcess('kube-scheduler', binary, args, logFile);

  async function waitUntilReady() {
    if (port !== null) {
      await waitFor('kube-scheduler /readyz', async () => {
        const r = await rawRequest(`https://127.0.0.1:${port}/readyz`, { timeoutMs: 5000 });
        return r.status === 200;
      }, { timeoutMs, watch: [...watch, scheduler], intervalMs: 200 });
      return;
    }
    await sleep(0);
    if (scheduler.exited) {
      throw new Error(`kube-scheduler ${describeExit(scheduler)}. Last lines of ${logFile}:\n${tail(logFile)}`);
    }
  }
  return { process: scheduler, waitUntilReady };
}

/**
 * KWOK, the kubelet stand-in: it manages only the Nodes annotated
 * `kwok.x-k8s.io/node: fake` (so tests can still create Nodes nobody manages), keeps
 * their status Ready and their Lease renewed, and takes each Pod bound to them to
 * Running (the release's own stages, from stages.yaml beside the binary). It serves /healthz
 * on `port`, which `waitUntilReady` waits for.
 * @param {{ binary: string, kubeconfigPath: string, port: number, logFile: string, timeoutMs: number,
 *   watch: ComponentProcess[] }} options
 */
function startKwok({ binary, kubeconfigPath, port, logFile, timeoutMs, watch }) {
  const kwok = startProcess('kwok', binary, [
    `--kubeconfig=${kubeconfigPath}`,
    `--config=${path.join(path.dirname(binary), 'stages.yaml')}`, // written by kwok/build.sh
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
    '--cidr=10.244.0.0/16', // pod IPs
    '--node-ip=10.0.0.1',
    '--node-lease-duration-seconds=40',
    `--server-address=127.0.0.1:${port}`,
  ], logFile);
  const waitUntilReady = () => waitFor('kwok /healthz', async () => {
    const r = await rawRequest(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 2000 });
    return r.status === 200;
  }, { timeoutMs, watch: [...watch, kwok], intervalMs: 100 });
  return { process: kwok, waitUntilReady };
}

/**
 * The controllers a test cluster runs: the ones that turn workloads into Pods and clean up
 * after them. Named one by one rather than '*' minus some, so a Kubernetes bump cannot
 * switch on something new underneath the tests. Left out on purpose: node-lifecycle and
 * taint-eviction (they would taint and evict on the Nodes that no kubelet manages, which
 * tests create on purpose), node-ipam, the volume controllers (no storage here), the
 * horizontal pod autoscaler (no metrics API) and DRA's (no drivers).
 */
const CONTROLLER_MANAGER_CONTROLLERS = [
  'job-controller',
  'cronjob-controller',
  'ttl-after-finished-controller',
  'replicaset-controller',
  'deployment-controller',
  'statefulset-controller',
  'daemonset-controller',
  'replicationcontroller-controller',
  'disruption-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'pod-garbage-collector-controller',
  'resourcequota-controller',
  'endpoints-controller',
  'endpointslice-controller',
  'clusterrole-aggregation-controller',
];

/**
 * kube-controller-manager with the admin kubeconfig (`--use-service-account-credentials=false`:
 * one identity for every controller, no per-controller RBAC to bootstrap), no leader
 * election, and /healthz on `port`. `waitUntilReady` waits for /healthz and then for the
 * "default" ServiceAccount of the default namespace: the controllers' informers have
 * synced and they act.
 * @param {{ binary: string, tmpDir: string, kubeconfigPath: string, port: number, server: string, token: string,
 *   serviceAccountSigningKeyFile: string, rootCaFile: string, controllers?: string[], logFile: string,
 *   timeoutMs: number, watch: ComponentProcess[] }} options
 */
function startControllerManager({
  binary, tmpDir, kubeconfigPath, port, server, token, serviceAccountSigningKeyFile, rootCaFile,
  controllers = CONTROLLER_MANAGER_CONTROLLERS, logFile, timeoutMs, watch,
}) {
  const manager = startProcess('kube-controller-manager', binary, [
    'kube-controller-manager',
    `--kubeconfig=${kubeconfigPath}`,
    '--leader-elect=false',
    `--controllers=${controllers.join(',')}`,
    '--use-service-account-credentials=false',
    // Token Secrets for ServiceAccounts are signed with the key the apiserver verifies.
    `--service-account-private-key-file=${serviceAccountSigningKeyFile}`,
    // What the root CA publisher puts in every namespace's kube-root-ca.crt ConfigMap.
    `--root-ca-file=${rootCaFile}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${path.join(tmpDir, 'controller-manager-certs')}`,
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
    // The plane has no front proxy: do not wait for its client CA ConfigMap.
    '--authentication-skip-lookup=true',
    // Pods of a Job or a ReplicaSet appear in test time, not after a rate limiter's pause.
    '--concurrent-job-syncs=5',
    '--concurrent-replicaset-syncs=5',
    '--concurrent-deployment-syncs=5',
  ], logFile);
  async function waitUntilReady() {
    await waitFor('kube-controller-manager /healthz', async () => {
      const r = await rawRequest(`https://127.0.0.1:${port}/healthz`, { timeoutMs: 5000 });
      return r.status === 200;
    }, { timeoutMs, watch: [...watch, manager], intervalMs: 200 });
    await waitFor('the default ServiceAccount (kube-controller-manager acting)', async () => {
      const r = await rawRequest(`${server}/api/v1/namespaces/default/serviceaccounts/default`, { token, timeoutMs: 5000 });
      return r.status === 200;
    }, { timeoutMs, watch: [...watch, manager], intervalMs: 200 });
  }
  return { process: manager, waitUntilReady };
}

/** The annotation that hands a Node to KWOK. */
const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

module.exports = {
  startEtcd, startApiserver, startScheduler, startControllerManager, startKwok, KWOK_NODE_ANNOTATION,
  CONTROLLER_MANAGER_CONTROLLERS,
};
