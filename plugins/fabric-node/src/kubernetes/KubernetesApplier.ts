import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';

/** The slice of a kubeconfig the fabric needs to talk to the hub cluster. */
export interface KubernetesTarget {
  /** API server URL, e.g. `https://127.0.0.1:6443`. */
  server: string;
  /** Bearer token of the fabric's service account. */
  token: string;
  /** PEM CA bundle of the API server; omit only together with `insecureSkipTlsVerify`. */
  caData?: string;
  insecureSkipTlsVerify?: boolean;
  /** Gives up on a request after this long (an unreachable API server must not hang a caller). */
  timeoutMs?: number;
}

/** A Kubernetes object as the fabric renders it. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** An API error with the server's own message, e.g. a CEL rule that refused a field. */
export class KubernetesApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubernetesApiError';
  }
}

/**
 * Resource paths of the kinds the fabric applies. Fixed on purpose: the fabric only
 * ever writes these, so no discovery round-trip is needed.
 */
const resources: Record<string, { plural: string; namespaced: boolean }> = {
  'karpenter.sh/v1/NodePool': { plural: 'nodepools', namespaced: false },
  'karpenter.sh/v1/NodeClaim': { plural: 'nodeclaims', namespaced: false },
  'karpenter.k8s.aws/v1/EC2NodeClass': { plural: 'ec2nodeclasses', namespaced: false },
  'fabric.cloudspectra.io/v1alpha1/FabricNodeClass': { plural: 'fabricnodeclasses', namespaced: false },
  'v1/Node': { plural: 'nodes', namespaced: false },
  'v1/Pod': { plural: 'pods', namespaced: true },
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Event': { plural: 'events', namespaced: true },
  'coordination.k8s.io/v1/Lease': { plural: 'leases', namespaced: true },
};

/** What to list: a kind, optionally in one namespace (all namespaces otherwise), and selectors. */
export interface ListQuery {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** The REST path of a kind's collection. */
export function collectionPath(query: Pick<ListQuery, 'apiVersion' | 'kind' | 'namespace'>): string {
  const resource = resources[`${query.apiVersion}/${query.kind}`];
  if (!resource) {
    throw new Error(`The fabric does not read ${query.kind} (${query.apiVersion})`);
  }
  const prefix = query.apiVersion.includes('/') ? `/apis/${query.apiVersion}` : `/api/${query.apiVersion}`;
  const namespace = resource.namespaced && query.namespace ? `/namespaces/${query.namespace}` : '';
  return `${prefix}${namespace}/${resource.plural}`;
}

/** The REST path of an object. */
export function objectPath(object: Pick<KubernetesObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const resource = resources[`${object.apiVersion}/${object.kind}`];
  if (!resource) {
    throw new Error(`The fabric does not apply ${object.kind} (${object.apiVersion})`);
  }
  const prefix = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const namespace = resource.namespaced ? `/namespaces/${object.metadata.namespace ?? 'default'}` : '';
  return `${prefix}${namespace}/${resource.plural}/${encodeURIComponent(object.metadata.name)}`;
}

/** Field manager of every fabric apply, so ownership of fields is visible in the cluster. */
export const FABRIC_FIELD_MANAGER = 'cloudspectra-fabric';

/**
 * Server-side apply against the hub cluster. Plain HTTPS rather than a client library:
 * the fabric writes a handful of kinds, and apply needs nothing more than one PATCH.
 */
export class KubernetesApplier {
  constructor(private readonly target: KubernetesTarget) {}

  /** Server-side applies an object (create or update), forcing the fabric's ownership. */
  async apply<T extends KubernetesObject>(object: T, options: { dryRun?: boolean } = {}): Promise<T> {
    const query = new URLSearchParams({ fieldManager: FABRIC_FIELD_MANAGER, force: 'true' });
    if (options.dryRun) query.set('dryRun', 'All');
    return (await this.send('PATCH', `${objectPath(object)}?${query}`, object, 'application/apply-patch+yaml')) as T;
  }

  /** Reads an object, or undefined when it does not exist. */
  async get<T extends KubernetesObject>(object: Pick<KubernetesObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<T | undefined> {
    try {
      return (await this.send('GET', objectPath(object))) as T;
    } catch (error) {
      if (error instanceof KubernetesApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /**
   * Lists objects of a kind, following `continue` tokens so the answer is complete however
   * the server pages it.
   */
  async list<T extends KubernetesObject>(query: ListQuery): Promise<T[]> {
    const items: T[] = [];
    let continueToken: string | undefined;
    do {
      const params = new URLSearchParams({ limit: '500' });
      if (query.labelSelector) params.set('labelSelector', query.labelSelector);
      if (query.fieldSelector) params.set('fieldSelector', query.fieldSelector);
      if (continueToken) params.set('continue', continueToken);
      const page = (await this.send('GET', `${collectionPath(query)}?${params}`)) as {
        items?: T[];
        metadata?: { continue?: string };
      };
      items.push(...(page.items ?? []));
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return items;
  }

  /** Creates an object (used for nodes and pods in tests and by the provider loop). */
  async create<T extends KubernetesObject>(object: T): Promise<T> {
    const path = objectPath(object);
    return (await this.send('POST', path.slice(0, path.lastIndexOf('/')), object)) as T;
  }

  /** Deletes an object; absent objects are fine (idempotent destroy). */
  async delete(object: Pick<KubernetesObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<void> {
    try {
      await this.send('DELETE', objectPath(object));
    } catch (error) {
      if (!(error instanceof KubernetesApiError && error.statusCode === 404)) throw error;
    }
  }

  private send(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    const url = new URL(path, this.target.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          headers: {
            Authorization: `Bearer ${this.target.token}`,
            Accept: 'application/json',
            ...(payload ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) } : {}),
          },
          ca: this.target.caData,
          rejectUnauthorized: !this.target.insecureSkipTlsVerify,
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', c => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: any;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              resolve(parsed);
            } else {
              reject(
                new KubernetesApiError(
                  status,
                  parsed?.reason ?? 'Unknown',
                  `${method} ${url.pathname} failed (${status}): ${parsed?.message ?? text.slice(0, 500)}`,
                ),
              );
            }
          });
        },
      );
      if (this.target.timeoutMs) {
        req.setTimeout(this.target.timeoutMs, () =>
          req.destroy(new Error(`${method} ${url.pathname} timed out after ${this.target.timeoutMs} ms`)),
        );
      }
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }
}
