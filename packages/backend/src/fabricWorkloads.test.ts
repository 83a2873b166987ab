/*
 * The fabric registers the workloads it is asked to create: POST /api/fabric/workloads
 * stores a Component, and the fabric-workloads catalog module's entity provider brings
 * it into the real catalog (read over HTTP with a service token).
 */
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import fabricPlugin from '@internal/backstage-plugin-fabric-backend';
import { AddressInfo } from 'node:net';
import catalogModuleFabricWorkloads from './modules/fabricWorkloadsCatalogModule';

jest.setTimeout(90_000);

describe('fabric workloads in the catalog', () => {
  let baseUrl: string;
  let stop: () => Promise<void>;

  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers: {
        Authorization: 'Bearer mock-user-token',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    const backend = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModuleFabricWorkloads,
        fabricPlugin,
        // The real scheduler (the test backend's mock one runs tasks only at startup), so
        // the provider's 10-second schedule is what brings the workload in.
        schedulerServiceFactory,
        mockServices.rootConfig.factory({
          data: { catalog: { rules: [{ allow: ['Component', 'System', 'API', 'Resource', 'Location'] }] } },
        }),
      ],
    });
    baseUrl = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
    stop = () => backend.stop();
  });

  afterAll(() => stop?.());

  it('registers a workload posted to the fabric as a catalog Component with the fabric annotations', async () => {
    const created = await call('POST', '/api/fabric/workloads', {
      name: 'llm-catalog-run',
      description: 'Registered by the fabric',
      owner: 'group:default/ml-research',
      intent: 'balanced',
      gpu: 'g6e',
    });
    expect(created.status).toBe(201);
    expect(created.body.entityRef).toBe('component:default/llm-catalog-run');

    const deadline = Date.now() + 30_000;
    let found = await call('GET', '/api/catalog/entities/by-name/component/default/llm-catalog-run');
    while (found.status !== 200 && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 500));
      found = await call('GET', '/api/catalog/entities/by-name/component/default/llm-catalog-run');
    }
    expect(found.status).toBe(200);
    expect(found.body.metadata).toMatchObject({
      name: 'llm-catalog-run',
      namespace: 'default',
      description: 'Registered by the fabric',
      annotations: {
        'cloudspectra.io/fabric-workload': 'balanced',
        'cloudspectra.io/fabric-gpu': 'g6e',
        'backstage.io/managed-by-location': 'fabric:workloads',
        'backstage.io/managed-by-origin-location': 'fabric:workloads',
      },
    });
    expect(found.body.spec).toEqual({
      type: 'service',
      lifecycle: 'experimental',
      owner: 'group:default/ml-research',
    });
    expect(found.body.relations).toEqual(
      expect.arrayContaining([{ type: 'ownedBy', targetRef: 'group:default/ml-research' }]),
    );
  });
});
