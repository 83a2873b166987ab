// The Kubernetes example in deploy/kubernetes is well-formed and hangs together: every
// object is applied (server-side apply, strict field validation) to a real
// kube-apiserver of the test plane (test-tooling/kube), and the Deployment runs the
// image's CMD, reads the Secrets the example defines, and probes the port the backend
// listens on. e2e/productionBundle.test.mjs checks that its probe paths answer.
//
//   bash scripts/fabric node --test e2e/deployManifests.test.mjs

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { readDockerfile } from './image.mjs';
import { ROOT } from './portal.mjs';

const { startControlPlane } = createRequire(import.meta.url)(
  '../test-tooling/kube/controlPlane.js',
);

const MANIFESTS = path.join(ROOT, 'deploy/kubernetes');
/** Apply order: the namespace first, as `kubectl apply -f` of deploy/README.md does. */
const FILES = [
  'namespace.yaml',
  'secrets.example.yaml',
  'postgres.yaml',
  'backend.yaml',
  'controller.yaml',
];

const objects = FILES.flatMap(file =>
  parseAllDocuments(fs.readFileSync(path.join(MANIFESTS, file), 'utf8')).map(
    doc => ({ file, ...doc.toJS() }),
  ),
);
const find = (kind, name) =>
  objects.find(o => o.kind === kind && (!name || o.metadata.name === name));

/** REST path of an object (the kinds the example uses). */
function resourcePath({ apiVersion, kind, metadata }) {
  const plural = {
    Namespace: 'namespaces',
    Secret: 'secrets',
    Service: 'services',
    Deployment: 'deployments',
    StatefulSet: 'statefulsets',
    PodDisruptionBudget: 'poddisruptionbudgets',
    ServiceAccount: 'serviceaccounts',
    ConfigMap: 'configmaps',
    ClusterRole: 'clusterroles',
    ClusterRoleBinding: 'clusterrolebindings',
    Role: 'roles',
    RoleBinding: 'rolebindings',
  }[kind];
  assert.ok(plural, `${kind} is a kind this test knows`);
  const group = apiVersion.includes('/')
    ? `/apis/${apiVersion}`
    : `/api/${apiVersion}`;
  const namespace = metadata.namespace
    ? `/namespaces/${metadata.namespace}`
    : '';
  return `${group}${namespace}/${plural}/${metadata.name}`;
}

const matches = (selector, labels) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

describe(
  'the Kubernetes example in deploy/kubernetes',
  { timeout: 10 * 60_000 },
  () => {
    const deployment = find('Deployment', 'fabric-backend');
    const backendPod = deployment.spec.template;
    const [backend] = backendPod.spec.containers;
    const postgres = find('StatefulSet', 'fabric-postgres');
    const secretKeys = name =>
      Object.keys(find('Secret', name)?.stringData ?? {});

    test('every directory file is applied by the README', () => {
      const yamlFiles = fs
        .readdirSync(MANIFESTS)
        .filter(file => file.endsWith('.yaml'));
      assert.deepEqual(yamlFiles.sort(), [...FILES].sort());
      const readme = fs.readFileSync(
        path.join(ROOT, 'deploy/README.md'),
        'utf8',
      );
      for (const file of FILES)
        assert.ok(
          readme.includes(`deploy/kubernetes/${file}`),
          `deploy/README.md names ${file}`,
        );
    });

    test('the backend runs the image CMD plus the mounted app-config.local.yaml', () => {
      const { cmd } = readDockerfile();
      assert.deepEqual(backend.command.slice(0, cmd.length), cmd);
      const [, localConfig] = backend.command.slice(cmd.length);
      assert.equal(backend.command[cmd.length], '--config');
      const mount = backend.volumeMounts.find(m =>
        localConfig.startsWith(`${m.mountPath}/`),
      );
      assert.ok(mount, `${localConfig} is on a mounted volume`);
      const volume = backendPod.spec.volumes.find(v => v.name === mount.name);
      assert.ok(
        secretKeys(volume.secret.secretName).includes(
          path.basename(localConfig),
        ),
      );
    });

    test('the controller runs `fabric controller` as its ServiceAccount, with configs it mounts', () => {
      const controller = find('Deployment', 'cloudspectra-fabric-controller');
      const podSpec = controller.spec.template.spec;
      const [container] = podSpec.containers;
      assert.equal(container.image, backend.image, 'the backend image');
      assert.deepEqual(container.command, ['fabric']);
      assert.equal(container.args[0], 'controller');
      // The backend's own configs, in the same order, then the controller's.
      const configs = container.args.slice(1).filter((_, i) => i % 2 === 1);
      assert.ok(container.args.slice(1).every((arg, i) => i % 2 === 1 || arg === '--config'));
      const { cmd } = readDockerfile();
      const imageConfigs = cmd.filter((_, i) => cmd[i - 1] === '--config');
      assert.deepEqual(configs.slice(0, imageConfigs.length + 1), [
        ...imageConfigs,
        backend.command.at(-1),
      ]);
      for (const config of configs.filter(c => c.startsWith('/'))) {
        const mount = container.volumeMounts.find(m => config.startsWith(`${m.mountPath}/`));
        assert.ok(mount, `${config} is on a mounted volume`);
        const volume = podSpec.volumes.find(v => v.name === mount.name);
        const keys = volume.secret
          ? secretKeys(volume.secret.secretName)
          : Object.keys(find('ConfigMap', volume.configMap.name).data);
        assert.ok(keys.includes(path.basename(config)), `${config} is a key of its volume`);
      }
      const controllerConfig = parse(
        find('ConfigMap', 'fabric-controller-config').data['app-config.controller.yaml'],
      );
      assert.equal(controllerConfig.fabric.provisioner.enabled, true);
      assert.equal(controllerConfig.fabric.hub.kubernetes.url, 'https://kubernetes.default.svc');
      assert.equal(podSpec.serviceAccountName, 'cloudspectra-fabric-controller');
      const binding = find('ClusterRoleBinding', 'cloudspectra-fabric-controller');
      assert.deepEqual(binding.subjects, [
        { kind: 'ServiceAccount', name: podSpec.serviceAccountName, namespace: controller.metadata.namespace },
      ]);
    });

    test('the backend Secret sets every ${VAR} app-config.production.yaml reads', () => {
      // The parsed config, so commented-out examples do not count.
      const production = JSON.stringify(
        parse(
          fs.readFileSync(
            path.join(ROOT, 'app-config.production.yaml'),
            'utf8',
          ),
        ),
      );
      const wanted = [
        ...new Set([...production.matchAll(/\$\{(\w+)\}/g)].map(m => m[1])),
      ];
      assert.ok(wanted.includes('POSTGRES_PASSWORD'));
      const [{ secretRef }] = backend.envFrom;
      assert.deepEqual(
        wanted.filter(name => !secretKeys(secretRef.name).includes(name)),
        [],
      );
      for (const { valueFrom } of postgres.spec.template.spec.containers[0]
        .env) {
        if (valueFrom)
          assert.ok(
            secretKeys(valueFrom.secretKeyRef.name).includes(
              valueFrom.secretKeyRef.key,
            ),
          );
      }
    });

    test('Services select the pods, and the backend listens where it is probed', () => {
      const production = parse(
        fs.readFileSync(path.join(ROOT, 'app-config.production.yaml'), 'utf8'),
      );
      const port = Number(String(production.backend.listen).split(':').at(-1));
      assert.equal(
        backend.ports.find(p => p.name === 'http').containerPort,
        port,
      );
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        assert.equal(backend[probe].httpGet.port, 'http', probe);
      }
      for (const [service, workload] of [
        ['fabric-backend', deployment],
        ['fabric-postgres', postgres],
      ]) {
        const { spec } = find('Service', service);
        assert.ok(
          matches(spec.selector, workload.spec.template.metadata.labels),
          `${service} selects its pods`,
        );
        const portNames = workload.spec.template.spec.containers.flatMap(c =>
          c.ports.map(p => p.name),
        );
        assert.ok(
          spec.ports.every(p => portNames.includes(p.targetPort)),
          `${service} targets a named container port`,
        );
      }
      const env = find('Secret', 'fabric-backend-env').stringData;
      assert.equal(env.POSTGRES_HOST, 'fabric-postgres');
      assert.equal(
        Number(env.POSTGRES_PORT),
        find('Service', 'fabric-postgres').spec.ports[0].port,
      );
    });

    describe('on a real kube-apiserver', () => {
      let plane;
      before(async () => {
        plane = await startControlPlane({
          installCrds: false,
          waitForScheduler: false,
        });
      });
      after(async () => {
        await plane?.stop();
      });

      test('every object is accepted by server-side apply with strict field validation', async () => {
        for (const object of objects) {
          const { file, ...manifest } = object;
          const where = `${file}: ${manifest.kind} ${manifest.metadata.name}`;
          const res = await plane.request(
            'PATCH',
            `${resourcePath(
              manifest,
            )}?fieldManager=cloudspectra-fabric-example&fieldValidation=Strict`,
            JSON.stringify(manifest),
            { 'Content-Type': 'application/apply-patch+yaml' },
          );
          assert.ok(
            [200, 201].includes(res.status),
            `${where}: ${res.status} ${JSON.stringify(res.body)}`,
          );
          assert.equal(
            res.headers.warning,
            undefined,
            `${where}: ${res.headers.warning}`,
          );
        }
        const stored = await plane.request('GET', resourcePath(deployment));
        assert.equal(stored.body.spec.replicas, 2);
      });

      const CONTROLLER = 'system:serviceaccount:cloudspectra-fabric:cloudspectra-fabric-controller';
      const NAMESPACE = 'cloudspectra-fabric';
      const LEASE = 'cloudspectra-fabric-provisioner';

      /** What the apiserver's authorizer answers for the controller's ServiceAccount. */
      async function controllerMay(attributes) {
        const res = await plane.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: CONTROLLER,
            groups: ['system:serviceaccounts', `system:serviceaccounts:${NAMESPACE}`, 'system:authenticated'],
            resourceAttributes: attributes,
          },
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        return res.body.status.allowed === true;
      }

      /** A request sent as the controller's ServiceAccount. */
      const asController = (method, requestPath, body, headers = {}) =>
        plane.request(method, requestPath, body, { 'Impersonate-User': CONTROLLER, ...headers });

      test("the controller's ServiceAccount may do what the provisioner does, per the apiserver", async () => {
        const allowed = [
          ...['get', 'list', 'watch', 'patch', 'update', 'delete'].map(verb => ({ resource: 'pods', verb })),
          { resource: 'pods', subresource: 'eviction', verb: 'create', namespace: 'research' },
          ...['get', 'list', 'watch', 'patch', 'update', 'delete'].map(verb => ({ resource: 'nodes', verb })),
          { resource: 'events', verb: 'create', namespace: 'research' },
          { resource: 'events', verb: 'patch', namespace: 'research' },
          { group: 'events.k8s.io', resource: 'events', verb: 'create', namespace: 'research' },
          ...['get', 'list', 'watch'].map(verb => ({ group: 'karpenter.sh', resource: 'nodepools', verb })),
          { group: 'karpenter.sh', resource: 'nodepools', subresource: 'status', verb: 'update' },
          ...['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'].map(verb => ({
            group: 'karpenter.sh',
            resource: 'nodeclaims',
            verb,
          })),
          { group: 'karpenter.sh', resource: 'nodeclaims', subresource: 'status', verb: 'patch' },
          ...['get', 'list', 'watch'].map(verb => ({ group: 'fabric.cloudspectra.io', resource: 'fabricnodeclasses', verb })),
          { group: 'fabric.cloudspectra.io', resource: 'fabricnodeclasses', subresource: 'status', verb: 'update' },
          { group: 'coordination.k8s.io', resource: 'leases', verb: 'create', namespace: NAMESPACE },
          ...['get', 'update'].map(verb => ({
            group: 'coordination.k8s.io',
            resource: 'leases',
            verb,
            namespace: NAMESPACE,
            name: LEASE,
          })),
        ];
        const refused = [
          { resource: 'secrets', verb: 'get', namespace: NAMESPACE },
          { resource: 'secrets', verb: 'list' },
          { resource: 'configmaps', verb: 'get', namespace: NAMESPACE },
          { resource: 'serviceaccounts', subresource: 'token', verb: 'create', namespace: NAMESPACE },
          { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'update' },
          { group: 'karpenter.sh', resource: 'nodepools', verb: 'update' },
          { group: 'karpenter.sh', resource: 'nodepools', verb: 'delete' },
          { group: 'fabric.cloudspectra.io', resource: 'fabricnodeclasses', verb: 'delete' },
          { group: 'coordination.k8s.io', resource: 'leases', verb: 'create', namespace: 'kube-system' },
          { group: 'coordination.k8s.io', resource: 'leases', verb: 'update', namespace: NAMESPACE, name: 'someone-else' },
          { group: 'apps', resource: 'deployments', verb: 'patch', namespace: NAMESPACE },
        ];
        for (const attributes of allowed) {
          assert.equal(await controllerMay(attributes), true, `allowed: ${JSON.stringify(attributes)}`);
        }
        for (const attributes of refused) {
          assert.equal(await controllerMay(attributes), false, `refused: ${JSON.stringify(attributes)}`);
        }
      });

      test('as the ServiceAccount: lifts a gang gate, evicts, records an Event and holds its Lease; no Secrets', async () => {
        const pod = await plane.request('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'gang-member-0' },
          spec: {
            schedulingGates: [{ name: 'fabric.cloudspectra.io/gang' }],
            containers: [{ name: 'main', image: 'busybox' }],
          },
        });
        assert.equal(pod.status, 201, JSON.stringify(pod.body));

        const listed = await asController('GET', '/api/v1/pods?labelSelector=fabric.cloudspectra.io%2Fplacement');
        assert.equal(listed.status, 200);
        const lifted = await asController(
          'PATCH',
          `/api/v1/namespaces/${NAMESPACE}/pods/gang-member-0`,
          JSON.stringify([{ op: 'remove', path: '/spec/schedulingGates' }]),
          { 'Content-Type': 'application/json-patch+json' },
        );
        assert.equal(lifted.status, 200, JSON.stringify(lifted.body));
        assert.equal(lifted.body.spec.schedulingGates, undefined);

        const event = await asController('POST', `/api/v1/namespaces/${NAMESPACE}/events`, {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: 'gang-member-0.fabric' },
          involvedObject: { kind: 'Pod', namespace: NAMESPACE, name: 'gang-member-0' },
          reason: 'FabricUnschedulable',
          message: 'no offering holds the gang in one AZ-ID',
          type: 'Warning',
        });
        assert.equal(event.status, 201, JSON.stringify(event.body));

        const lease = await asController('POST', `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: LEASE },
          spec: { holderIdentity: 'controller-0', leaseDurationSeconds: 15 },
        });
        assert.equal(lease.status, 201, JSON.stringify(lease.body));
        const renewed = await asController(
          'PUT',
          `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${LEASE}`,
          { ...lease.body, spec: { ...lease.body.spec, renewTime: new Date().toISOString().replace('Z', '000Z') } },
        );
        assert.equal(renewed.status, 200, JSON.stringify(renewed.body));

        const evicted = await asController('POST', `/api/v1/namespaces/${NAMESPACE}/pods/gang-member-0/eviction`, {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: 'gang-member-0', namespace: NAMESPACE },
        });
        assert.equal(evicted.status, 201, JSON.stringify(evicted.body));

        for (const [method, forbidden] of [
          ['GET', `/api/v1/namespaces/${NAMESPACE}/secrets/fabric-backend-env`],
          ['GET', '/api/v1/secrets'],
          ['GET', `/api/v1/namespaces/${NAMESPACE}/configmaps/fabric-controller-config`],
          ['DELETE', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/fabric-backend`],
        ]) {
          const res = await asController(method, forbidden);
          assert.equal(res.status, 403, `${method} ${forbidden}: ${res.status}`);
        }
        const otherLease = await asController('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: LEASE },
          spec: { holderIdentity: 'controller-0' },
        });
        assert.equal(otherLease.status, 403);
      });
    });
  },
);
