import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
// The actions are tested against the real fabric backend they call in production.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import fabricPlugin from '@internal/backstage-plugin-fabric-backend';
import { AddressInfo } from 'node:net';
import { FabricApiClient } from '../actions/FabricApiClient';

/**
 * Starts the real fabric backend plugin (demo estate, in-memory SQLite) and returns a
 * client for it, so actions are tested against the API they call in production.
 * `mode: 'apply'` runs the demo estate in apply mode; `deny: true` denies every
 * permission.
 */
export async function startFabricBackendForActions(options: { mode?: 'plan-only' | 'apply'; deny?: boolean } = {}) {
  const backend = await startTestBackend({
    features: [
      fabricPlugin,
      ...(options.mode ? [mockServices.rootConfig.factory({ data: { fabric: { estate: { mode: options.mode } } } })] : []),
      // AuthorizeResult.DENY, without depending on plugin-permission-common for one enum value.
      ...(options.deny ? [mockServices.permissions.factory({ result: 'DENY' as any })] : []),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;
  const client = new FabricApiClient({
    discovery: {
      getBaseUrl: async (pluginId: string) => `http://127.0.0.1:${port}/api/${pluginId}`,
      getExternalBaseUrl: async (pluginId: string) => `http://127.0.0.1:${port}/api/${pluginId}`,
    },
    auth: mockServices.auth(),
  });
  /** Reads the fabric directly, as the test and not through an action. */
  const get = <T = any>(path: string) => client.get<T>(path, mockCredentials.user());
  /** Any call to the fabric's REST API, for what the client does not do (e.g. DELETE). */
  const request = (method: string, path: string) =>
    fetch(`http://127.0.0.1:${port}/api/fabric${path}`, {
      method,
      headers: { Authorization: mockCredentials.user.header() },
    });
  /** How many placements the fabric has stored. */
  const placementCount = async () => (await get<{ items: unknown[] }>('/placements?limit=200')).items.length;
  /** Waits until a background apply of the plan has finished. */
  const settled = async (planId: string) => {
    for (let i = 0; i < 100; i++) {
      const view = await get(`/plans/${planId}`);
      if (view.status !== 'applying') return view;
      await new Promise(r => setTimeout(r, 50));
    }
    throw new Error(`Plan ${planId} is still applying`);
  };
  return { client, get, request, placementCount, settled, stop: () => backend.stop() };
}
