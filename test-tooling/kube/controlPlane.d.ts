/** Kubernetes release the test-plane binary is built from (versions.json), e.g. "1.37.2". */
export const kubernetesVersion: string;
/** github.com/aws/karpenter-provider-aws release the CRDs come from (versions.json), e.g. "1.15.2". */
export const karpenterVersion: string;

/** sigs.k8s.io/kwok release the kubelet stand-in is built from (versions.json), e.g. "0.8.0". */
export const kwokVersion: string;
/** Annotation (value "fake") that hands a Node to KWOK: 'kwok.x-k8s.io/node'. */
export const KWOK_NODE_ANNOTATION: 'kwok.x-k8s.io/node';

export interface StartControlPlaneOptions {
  /** Progress messages (build, each component ready). Default: silent. */
  log?: (message: string) => void;
  /** Budget for each readiness wait (etcd, apiserver, CRDs, scheduler). Default 120000. */
  timeoutMs?: number;
  /**
   * Serve kube-scheduler's /readyz on a free port and wait for it (informers synced), so
   * Pods created right after start are scheduled. false: --secure-port=0, no wait. Default true.
   */
  waitForScheduler?: boolean;
  /** Install the Karpenter CRDs (crds.sh) and the repo's own (deploy/crds, e.g. the FabricNodeClass) and wait until they are Established. Default true. */
  installCrds?: boolean;
  /** Keep the temp dir (logs, kubeconfig, etcd data) after stop(). Default false. */
  keepTmpDir?: boolean;
  /**
   * Also build (once, cached) and run KWOK as the kubelet of every Node annotated
   * `kwok.x-k8s.io/node: fake`: such Nodes become Ready and keep their Lease, and Pods
   * bound to them go Running. Stopped with the plane. Default false.
   */
  kwok?: boolean;
  /**
   * Also run kube-controller-manager (from the same binary), so workloads behave as in a
   * cluster: a Job creates its Pods, a Deployment's ReplicaSet replaces a deleted Pod, the
   * garbage collector deletes what an owner leaves behind, the pod GC removes Pods of
   * deleted Nodes, namespaces get their "default" ServiceAccount. Only the controllers in
   * CONTROLLER_MANAGER_CONTROLLERS run (never node-lifecycle: Nodes keep the taints a test
   * gives them), or `{ controllers: [...] }` to name others (kube-controller-manager's
   * names, e.g. 'job-controller'). It starts after the scheduler and is ready once the
   * default namespace has its ServiceAccount. Default false.
   */
  controllerManager?: boolean | { controllers?: string[] };
}

/** The kube-controller-manager controllers `controllerManager: true` runs. */
export const CONTROLLER_MANAGER_CONTROLLERS: readonly string[];

export interface ControlPlaneResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the response is JSON, else the raw text. */
  body: any;
}

export interface ControlPlane {
  /** https://127.0.0.1:<port>; self-signed serving cert (skip TLS verification). */
  server: string;
  /** etcd client URL (plain HTTP on 127.0.0.1), e.g. to compact history in tests of watch resumption. */
  etcdUrl: string;
  /** Static bearer token of a system:masters user. */
  token: string;
  /** kubeconfig for server + token, with insecure-skip-tls-verify: true. */
  kubeconfigPath: string;
  /** Karpenter provider release of the installed CRDs, e.g. "v1.15.2"; null with installCrds: false. */
  crdVersion: string | null;
  /** gitVersion reported by the apiserver's /version, e.g. "v1.37.2". */
  kubeVersion: string;
  /** Kills etcd, kube-apiserver, kube-scheduler (and KWOK, kube-controller-manager) and removes the temp dir. Idempotent. */
  stop(options?: { graceful?: boolean }): Promise<void>;
  /** Temp dir holding the logs, kubeconfig, tokens.csv, SA keys and etcd data. */
  tmpDir: string;
  /** Path of the cached multi-call binary. */
  binary: string;
  /** Cache dir of the CRD files; null with installCrds: false. */
  crdDir: string | null;
  /** Names of the installed CRDs, e.g. "nodepools.karpenter.sh". */
  crds: string[];
  /** Log file of each component. */
  logs: { etcd: string; apiserver: string; scheduler: string; kwok?: string; controllerManager?: string };
  /** Path of the cached KWOK binary; null without the kwok option. */
  kwokBinary: string | null;
  /**
   * Authenticated request to the apiserver (path such as "/api/v1/nodes"). An object body
   * is sent as JSON; pass a string body with an explicit Content-Type for patches.
   */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ControlPlaneResponse>;
}

/**
 * Builds (once, cached) and starts etcd + kube-apiserver + kube-scheduler on free 127.0.0.1
 * ports, installs the Karpenter CRDs and resolves when everything is ready.
 */
export function startControlPlane(options?: StartControlPlaneOptions): Promise<ControlPlane>;
