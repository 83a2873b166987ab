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
    });
  },
);
