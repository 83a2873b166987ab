import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
// The actions are tested against the real fabric backend they call in production.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import fabricPlugin from '@internal/backstage-plugin-fabric-backend';
import { AddressInfo } from 'node:net';
import { FabricApiClient } from '../actions/FabricApiClient';

/**
 * Starts the real fabric backend plugin (demo estate, in-memory SQLite) and returns a
 * client for it, so actions are tested against the API they call in production.
 */
export async function startFabricBackendForActions() {
  const backend = await startTestBackend({ features: [fabricPlugin] });
  const { port } = backend.server.address() as AddressInfo;
  const client = new FabricApiClient({
    discovery: {
      getBaseUrl: async (pluginId: string) => `http://127.0.0.1:${port}/api/${pluginId}`,
      getExternalBaseUrl: async (pluginId: string) => `http://127.0.0.1:${port}/api/${pluginId}`,
    },
    auth: mockServices.auth(),
  });
  return { client, stop: () => backend.stop() };
}
