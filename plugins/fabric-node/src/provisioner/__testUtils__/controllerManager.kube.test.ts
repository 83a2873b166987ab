import { ControlPlane, KWOK_NODE_ANNOTATION, startControlPlane } from '@internal/fabric-test-tooling';

// The build is done by `npm test`'s kube step; a cold build here would take minutes.
jest.setTimeout(15 * 60_000);

const NAMESPACE = 'workloads';
const WAIT_TIMEOUT_MS = 90_000;

interface Pod {
  metadata: { name: string; uid: string; ownerReferences?: Array<{ kind: string; name: string }>; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { phase?: string };
}

/**
 * The test plane with kube-controller-manager: workloads behave as in a cluster. KWOK is
 * the kubelet of the Nodes, so the Pods the controllers create are scheduled and run.
 */
describe('the test plane with kube-controller-manager', () => {
  let plane: ControlPlane;

  async function ok(method: string, path: string, body?: unknown) {
    const response = await plane.request(method, path, body);
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** Polls until `check` returns a value (not undefined); fails with the last state after the timeout. */
  async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + WAIT_TIMEOUT_MS;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise(resolve => setTimeout(resolve, 250));
    }
  }

  async function podsOf(selector: string): Promise<Pod[]> {
    const list = await ok('GET', `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${encodeURIComponent(selector)}`);
    return (list.items as Pod[]).filter(p => !p.metadata.deletionTimestamp);
  }

  const container = { name: 'main', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '500m', memory: '256Mi' } } };

  beforeAll(async () => {
    plane = await startControlPlane({ kwok: true, controllerManager: true, installCrds: false });
    for (const name of ['kwok-node-a', 'kwok-node-b']) {
      await ok('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, annotations: { [KWOK_NODE_ANNOTATION]: 'fake' }, labels: { 'kubernetes.io/hostname': name } },
        status: {
          capacity: { cpu: '8', memory: '32Gi', pods: '110' },
          allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
        },
      });
    }
    await ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it('gives a new namespace its default ServiceAccount', async () => {
    const account = await eventually('the default ServiceAccount', async () => {
      const response = await plane.request('GET', `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/default`);
      return response.status === 200 ? response.body : undefined;
    });
    expect(account.metadata.name).toBe('default');
  });

  it('runs a batch/v1 Job: its Pods are created, run on the Nodes and the Job completes', async () => {
    await ok('POST', `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'train' },
      spec: {
        completions: 3,
        parallelism: 3,
        template: { metadata: { labels: { app: 'train' } }, spec: { restartPolicy: 'Never', containers: [container] } },
      },
    });

    const job = await eventually('the Job to complete', async () => {
      const current = await ok('GET', `/apis/batch/v1/namespaces/${NAMESPACE}/jobs/train`);
      const complete = (current.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Complete' && c.status === 'True');
      return complete ? current : undefined;
    });
    expect(job.status.succeeded).toBe(3);
    const pods = await podsOf('app=train');
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Job', name: 'train' })]);
      expect(['kwok-node-a', 'kwok-node-b']).toContain(pod.spec.nodeName);
      expect(pod.status.phase).toBe('Succeeded');
    }
  });

  it("recreates a Deployment's deleted Pod through its ReplicaSet, Running again", async () => {
    await ok('POST', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'serve' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'serve' } },
        template: { metadata: { labels: { app: 'serve' } }, spec: { containers: [container] } },
      },
    });
    const running = async () => {
      const pods = await podsOf('app=serve');
      return pods.length === 2 && pods.every(p => p.status.phase === 'Running') ? pods : undefined;
    };
    const before = await eventually('2 Running Pods of the Deployment', running);
    expect(before.map(p => p.metadata.ownerReferences?.[0]?.kind)).toEqual(['ReplicaSet', 'ReplicaSet']);

    const [deleted, kept] = before;
    await ok('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods/${deleted.metadata.name}?gracePeriodSeconds=0`);

    const after = await eventually('the replacement Pod Running', async () => {
      const pods = await running();
      return pods && !pods.some(p => p.metadata.uid === deleted.metadata.uid) ? pods : undefined;
    });
    expect(after.map(p => p.metadata.uid)).toContain(kept.metadata.uid);
    const replacement = after.find(p => p.metadata.uid !== kept.metadata.uid)!;
    expect(replacement.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', name: kept.metadata.ownerReferences![0].name })]);
    expect(replacement.spec.nodeName).toMatch(/^kwok-node-[ab]$/);
  });

  it("deletes a Deployment's ReplicaSet and Pods with it (garbage collector)", async () => {
    await ok('DELETE', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/serve`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
    await eventually('the Deployment\'s Pods gone', async () => ((await podsOf('app=serve')).length === 0 ? true : undefined));
    const sets = await ok('GET', `/apis/apps/v1/namespaces/${NAMESPACE}/replicasets?labelSelector=app%3Dserve`);
    expect(sets.items).toEqual([]);
  });
});
