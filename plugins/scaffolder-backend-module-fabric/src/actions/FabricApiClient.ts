import { AuthService, BackstageCredentials, DiscoveryService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ResponseError,
} from '@backstage/errors';

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
      throw toReadableError(await ResponseError.fromResponse(res));
    }
    // Parsed here rather than with res.json(): the values then belong to this module's
    // realm, which the scaffolder's template engine requires of step outputs (it refuses
    // arrays of another realm, as fetch's own JSON parser makes them under jest's vm).
    return JSON.parse(await res.text()) as T;
  }
}

/**
 * A task log should say why the fabric refused, not "Request failed with 400". The
 * backend's own message is kept, and the error type keeps its meaning for the caller.
 * A 4xx carries no cause: `@backstage/errors` would append "; caused by ResponseError:
 * Request failed with 400 Bad Request" to a message that already says everything.
 */
function toReadableError(error: ResponseError): Error {
  const message = `Fabric: ${error.body?.error?.message ?? error.message}`;
  switch (error.statusCode) {
    case 400:
      return new InputError(message);
    case 403:
      return new NotAllowedError(message);
    case 404:
      return new NotFoundError(message);
    case 409:
      return new ConflictError(message);
    default:
      return new Error(`${message} (HTTP ${error.statusCode})`, { cause: error });
  }
}
