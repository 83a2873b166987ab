import { AuthService, BackstageCredentials, DiscoveryService } from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';

/**
 * Calls the fabric backend's REST API on behalf of the task's initiator, so the
 * fabric's permissions and audit apply to scaffolder runs exactly as to the portal.
 * Actions never touch the fabric database.
 */
export class FabricApiClient {
  constructor(private readonly deps: { discovery: DiscoveryService; auth: AuthService }) {}

  async get<T>(path: string, onBehalfOf: BackstageCredentials): Promise<T> {
    return this.send<T>('GET', path, onBehalfOf);
  }

  async post<T>(path: string, body: unknown, onBehalfOf: BackstageCredentials): Promise<T> {
    return this.send<T>('POST', path, onBehalfOf, body);
  }

  private async send<T>(method: string, path: string, onBehalfOf: BackstageCredentials, body?: unknown): Promise<T> {
    const { token } = await this.deps.auth.getPluginRequestToken({ onBehalfOf, targetPluginId: 'fabric' });
    const base = await this.deps.discovery.getBaseUrl('fabric');
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return (await res.json()) as T;
  }
}
