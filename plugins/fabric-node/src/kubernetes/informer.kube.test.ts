import { startControlPlane, ControlPlane } from '@internal/fabric-test-tooling';
import { KubeObject, KubernetesClient, RESOURCES } from './KubernetesClient';
import { startInformer } from './informer';

jest.setTimeout(15 * 60_000);

const until = async (what: string, condition: () => boolean) => {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
};

const configMap = (name: string, value: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data: { value },
});
const configMaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };

describe('the informer against a real kube-apiserver', () => {
  let plane: ControlPlane;
  let client: KubernetesClient;

  beforeAll(async () => {
    plane = await startControlPlane({ waitForScheduler: false });
    client = new KubernetesClient({ server: plane.server, token: plane.token, insecureSkipTlsVerify: true });
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it('lists, then follows adds, updates and deletes through the watch', async () => {
    await client.create(configMaps, configMap('before', '1'));
    const seen: string[] = [];
    const informer = startInformer<KubeObject>(client, configMaps, {
      onAdd: o => seen.push(`add ${o.metadata.name}`),
      onUpdate: (a, b) => seen.push(`update ${b.metadata.name} ${a.data?.value}->${b.data?.value}`),
      onDelete: o => seen.push(`delete ${o.metadata.name}`),
    }, { namespace: 'default', resyncMs: 0 });
    try {
      await informer.synced;
      expect(informer.get('before', 'default')?.data).toEqual({ value: '1' });
      await client.create(configMaps, configMap('after', '1'));
      await client.patch(configMaps, 'after', { data: { value: '2' } }, { namespace: 'default' });
      await client.delete(configMaps, 'before', { namespace: 'default' });
      await until('the delete', () => seen.includes('delete before'));
      expect(seen).toEqual(['add before', 'add after', 'update after 1->2', 'delete before']);
      expect(informer.list().map(o => o.metadata.name)).toEqual(['after']);
      expect(informer.relists()).toBe(0);
    } finally {
      informer.stop();
    }
  });

  it('relists when the server no longer has its resourceVersion (410 Gone) and delivers what it missed', async () => {
    // Events are served from etcd directly (the apiserver keeps no watch cache for them), so
    // compacting etcd's history makes an old resourceVersion really gone.
    // A namespace of its own: the apiserver records Events of its own in `default`.
    const namespace = 'informer-relist';
    await plane.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const event = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: { kind: 'Pod', name, namespace },
      reason: 'Test',
      message: name,
    });
    await client.create(RESOURCES.events, event('missed-1'));
    await client.create(RESOURCES.events, event('missed-2'));
    const { resourceVersion } = await client.list(RESOURCES.events, { namespace });
    const compaction = await fetch(`${plane.etcdUrl}/v3/kv/compaction`, {
      method: 'POST',
      body: JSON.stringify({ revision: resourceVersion, physical: true }),
    });
    expect(compaction.status).toBe(200);
    const added: string[] = [];
    // Resume from a version compacted away, as after a long disconnect: the server answers 410 Gone.
    const informer = startInformer<KubeObject>(client, RESOURCES.events, { onAdd: o => added.push(o.metadata.name) }, { namespace, resumeFrom: '1', resyncMs: 0 });
    try {
      await until('the relist', () => added.length >= 2);
      expect(informer.relists()).toBe(1);
      expect(added.sort()).toEqual(['missed-1', 'missed-2']);
      // ...and it keeps watching after the relist.
      await client.create(RESOURCES.events, event('later'));
      await until('the later event', () => added.includes('later'));
    } finally {
      informer.stop();
    }
  });

  it('redelivers its store on resync, so a handler that missed something converges', async () => {
    await client.create(RESOURCES.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'resynced' } });
    let updates = 0;
    const informer = startInformer<KubeObject>(client, RESOURCES.nodes, { onUpdate: () => updates++ }, { resyncMs: 300 });
    try {
      await informer.synced;
      await until('two resyncs', () => updates >= 2 * informer.list().length);
      expect(informer.list().length).toBeGreaterThan(0);
    } finally {
      informer.stop();
    }
  });
});
