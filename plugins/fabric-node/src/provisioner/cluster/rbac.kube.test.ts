import { execFileSync } from 'node:child_process';
import { PROVISIONER_LEASE_NAME } from '../controller/fromConfig';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startControlPlane, ControlPlane } from '@internal/fabric-test-tooling';
import { KubernetesApiError } from '../../kubernetes/KubernetesApplier';
import { KubeObject, KubernetesClient, RESOURCES, resourcePath } from '../../kubernetes/KubernetesClient';
import { startInformer } from '../../kubernetes/informer';
import { gpuPod, joinNode, until } from './__testUtils__/kubelet';
import { EventRecorder, setNodePoolSchedulable } from './events';
import { startLeaderElection } from './leaderElection';
import { cordon, drainNode } from './lifecycle';
import { createNodeClaim, markLaunched, releaseNodeClaim } from './nodeClaims';
import { registerNodes } from './registration';

jest.setTimeout(15 * 60_000);

const deployDir = resolve(__dirname, '../../../../../deploy');

/** The YAML documents of a manifest as JSON objects, converted by the test plane's yaml2json. */
function manifest(binary: string, file: string): KubeObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-manifest-'));
  try {
    return readFileSync(file, 'utf8')
      .split(/^---$/m)
      .filter(doc => /^kind:/m.test(doc))
      .map((doc, i) => {
        const path = join(dir, `${i}.yaml`);
        writeFileSync(path, doc);
        return JSON.parse(execFileSync(binary, ['yaml2json', path], { encoding: 'utf8' }));
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the provisioner RBAC in deploy/kubernetes is enough, on a real kube-apiserver', () => {
  let plane: ControlPlane;
  let admin: KubernetesClient;
  let provisioner: KubernetesClient;

  beforeAll(async () => {
    plane = await startControlPlane();
    admin = new KubernetesClient({ server: plane.server, token: plane.token, insecureSkipTlsVerify: true });
    // The controller's own manifest: its ServiceAccount and RBAC, exactly as deployed.
    const rbacKinds = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];
    const controller = manifest(plane.binary, join(deployDir, 'kubernetes/controller.yaml')).filter(o => rbacKinds.includes(o.kind!));
    for (const object of [...manifest(plane.binary, join(deployDir, 'kubernetes/namespace.yaml')), ...controller]) {
      const [group, version] = object.apiVersion!.includes('/') ? object.apiVersion!.split('/') : ['', object.apiVersion!];
      const plural = `${object.kind!.toLowerCase()}s`;
      await admin.create({ group, version, plural, namespaced: Boolean(object.metadata.namespace) }, object);
    }
    // A token of the provisioner's service account, as the kubelet would mount it.
    const tokenRequest = (await admin.request('POST', resourcePath({ group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true }, 'cloudspectra-fabric', 'cloudspectra-fabric-controller', 'token'), {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    })) as any;
    provisioner = new KubernetesClient({ server: plane.server, token: tokenRequest.status.token, insecureSkipTlsVerify: true });
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it('refuses what the provisioner has no business doing', async () => {
    // Reading pods anywhere is granted...
    await expect(provisioner.list(RESOURCES.pods, { namespace: 'kube-system' })).resolves.toBeDefined();
    // ...secrets are not.
    const secrets = await provisioner.list({ group: '', version: 'v1', plural: 'secrets', namespaced: true }, { namespace: 'kube-system' }).catch(e => e);
    expect(secrets).toBeInstanceOf(KubernetesApiError);
    expect(secrets.statusCode).toBe(403);
    // ...nor are Leases other than its own.
    const otherLease = await provisioner.get(RESOURCES.leases, 'someone-else', 'cloudspectra-fabric').catch(e => e);
    expect(otherLease.statusCode).toBe(403);
  });

  it('runs every hub-cluster step of the provisioner with only its own permissions', async () => {
    const errors: unknown[] = [];
    const elector = startLeaderElection(provisioner, {
      namespace: 'cloudspectra-fabric', name: PROVISIONER_LEASE_NAME, identity: 'replica-a', leaseDurationSeconds: 15, onError: e => errors.push(e),
    });
    const informers = [RESOURCES.pods, RESOURCES.nodes, RESOURCES.nodeClaims, RESOURCES.nodePools, RESOURCES.fabricNodeClasses].map(resource =>
      startInformer(provisioner, resource, {}, { resyncMs: 0, onError: e => errors.push(e) }),
    );
    try {
      await until('leadership', () => elector.isLeader());
      await Promise.all(informers.map(i => i.synced));

      await admin.create(RESOURCES.nodePools, {
        apiVersion: 'karpenter.sh/v1',
        kind: 'NodePool',
        metadata: { name: 'cell-rbac' },
        spec: { template: { spec: { nodeClassRef: { group: 'fabric.cloudspectra.io', kind: 'FabricNodeClass', name: 'cell-rbac' }, requirements: [] } } },
      });
      const pod = await admin.create<KubeObject>(RESOURCES.pods, gpuPod('rbac-0', { labels: { 'fabric.cloudspectra.io/placement': 'rbac' }, nodeSelector: { 'topology.k8s.aws/zone-id': 'use1-az4' } }));
      await createNodeClaim(provisioner, {
        name: 'cell-rbac-1', nodePool: 'cell-rbac', nodeClass: 'cell-rbac', cell: { accountId: '222222222222', region: 'us-east-1' },
        offerings: [{ instanceType: 'g6e.xlarge', azId: 'use1-az4', capacityType: 'spot', subnetId: 'subnet-1', pricePerHour: 1 }],
        podUids: [pod.metadata.uid!], requests: { cpuMillis: 500, memoryMiB: 1024, gpus: 1, neuron: 0, efa: 0, pods: 1 },
      });
      await markLaunched(provisioner, 'cell-rbac-1', { instanceId: 'i-0rbac1', instanceType: 'g6e.xlarge', azId: 'use1-az4', azName: 'us-east-1d', capacityType: 'spot' });
      await joinNode(admin, { name: 'ip-10-9-0-1.ec2.internal', instanceId: 'i-0rbac1', azName: 'us-east-1d', azId: 'use1-az4', taints: [{ key: 'fabric.cloudspectra.io/unregistered', value: 'true', effect: 'NoSchedule' }] });
      const result = await registerNodes(provisioner, (await provisioner.list<KubeObject>(RESOURCES.nodeClaims)).items, (await provisioner.list<KubeObject>(RESOURCES.nodes)).items);
      expect(result.ready).toEqual(['cell-rbac-1']);
      await until('rbac-0 bound', async () => (await admin.get<KubeObject>(RESOURCES.pods, 'rbac-0', 'default'))?.spec?.nodeName, 60_000);

      await new EventRecorder(provisioner).record({ involved: { ...pod, apiVersion: 'v1', kind: 'Pod' }, type: 'Normal', reason: 'Nominated', message: 'nominated to cell-rbac-1' });
      await setNodePoolSchedulable(provisioner, 'cell-rbac', []);
      await cordon(provisioner, 'ip-10-9-0-1.ec2.internal');
      const drain = await drainNode(provisioner, 'ip-10-9-0-1.ec2.internal', (await provisioner.list<KubeObject>(RESOURCES.pods)).items);
      expect(drain.evicted).toEqual(['default/rbac-0']);
      await provisioner.delete(RESOURCES.nodeClaims, 'cell-rbac-1');
      await releaseNodeClaim(provisioner, (await provisioner.get<KubeObject>(RESOURCES.nodeClaims, 'cell-rbac-1'))!);
      await until('the claim to go', async () => !(await admin.get(RESOURCES.nodeClaims, 'cell-rbac-1')));
    } finally {
      informers.forEach(i => i.stop());
      await elector.stop();
    }
    // Releasing the Lease on stop is allowed too.
    expect((await admin.get<KubeObject>(RESOURCES.leases, PROVISIONER_LEASE_NAME, 'cloudspectra-fabric'))!.spec.holderIdentity).toBe('');
    // Nothing was refused. (Informers retry transient answers, such as a 429 while a CRD's
    // storage is still initializing on a freshly started apiserver; those are not permissions.)
    expect(errors.filter(e => e instanceof KubernetesApiError && (e.statusCode === 401 || e.statusCode === 403))).toEqual([]);
  });
});
