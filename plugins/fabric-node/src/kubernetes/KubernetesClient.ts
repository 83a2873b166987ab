import { request as httpsRequest } from 'node:https';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { KubernetesApiError, KubernetesTarget } from './KubernetesApplier';

/** Where a kind lives in the REST API. */
export interface ResourceRef {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

/** The kinds the provisioner reads and writes on the hub cluster. */
export const RESOURCES = {
  pods: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  nodes: { group: '', version: 'v1', plural: 'nodes', namespaced: false },
  events: { group: '', version: 'v1', plural: 'events', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
  nodePools: { group: 'karpenter.sh', version: 'v1', plural: 'nodepools', namespaced: false },
  nodeClaims: { group: 'karpenter.sh', version: 'v1', plural: 'nodeclaims', namespaced: false },
  fabricNodeClasses: { group: 'fabric.cloudspectra.io', version: 'v1alpha1', plural: 'fabricnodeclasses', namespaced: false },
} satisfies Record<string, ResourceRef>;

/** Object metadata every kind shares (the fields the provisioner reads). */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: any;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; the client follows `continue` until the list is complete. */
  limit?: number;
}

/** One event of a watch stream. BOOKMARK carries only a resourceVersion. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface WatchHandle {
  /** Resolves when the server ends the stream (timeout) or it is aborted; rejects on transport errors. */
  done: Promise<void>;
  abort(): void;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** Field manager of every provisioner write, so ownership of fields is visible in the cluster. */
export const PROVISIONER_FIELD_MANAGER = 'cloudspectra-fabric-provisioner';

/** The REST path of a collection or, with a name, of one object (and optionally its subresource). */
export function resourcePath(resource: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  const prefix = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
  const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${prefix}${ns}/${resource.plural}${object}${subresource ? `/${subresource}` : ''}`;
}

/**
 * The hub-cluster client of the provisioner: list (paged), watch (streamed, with
 * bookmarks), get/create/replace/patch/delete on objects and their status, and eviction.
 * Plain HTTPS like `KubernetesApplier`: the provisioner touches seven kinds, and a client
 * library would bring a large dependency tree for what is a handful of REST calls.
 */
export class KubernetesClient {
  constructor(private readonly target: KubernetesTarget) {}

  async list<T extends KubeObject>(resource: ResourceRef, options: ListOptions = {}): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const query = new URLSearchParams();
      if (options.labelSelector) query.set('labelSelector', options.labelSelector);
      if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
      query.set('limit', String(options.limit ?? 500));
      if (continueToken) query.set('continue', continueToken);
      const page = (await this.request('GET', `${resourcePath(resource, options.namespace)}?${query}`)) as any;
      items.push(...((page.items ?? []) as T[]));
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return { items, resourceVersion };
  }

  async get<T extends KubeObject>(resource: ResourceRef, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return (await this.request('GET', resourcePath(resource, namespace, name))) as T;
    } catch (error) {
      if (error instanceof KubernetesApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async create<T extends KubeObject>(resource: ResourceRef, object: T): Promise<T> {
    return (await this.request('POST', resourcePath(resource, object.metadata.namespace), object)) as T;
  }

  /** PUT: fails with 409 Conflict when `metadata.resourceVersion` is stale (optimistic concurrency). */
  async replace<T extends KubeObject>(resource: ResourceRef, object: T, subresource?: string): Promise<T> {
    return (await this.request('PUT', resourcePath(resource, object.metadata.namespace, object.metadata.name, subresource), object)) as T;
  }

  async patch<T extends KubeObject>(
    resource: ResourceRef,
    name: string,
    patch: unknown,
    options: { namespace?: string; subresource?: string; type?: PatchType } = {},
  ): Promise<T> {
    const type = options.type ?? 'merge';
    const query = new URLSearchParams({ fieldManager: PROVISIONER_FIELD_MANAGER });
    if (type === 'apply') query.set('force', 'true');
    return (await this.request(
      'PATCH',
      `${resourcePath(resource, options.namespace, name, options.subresource)}?${query}`,
      patch,
      PATCH_CONTENT_TYPES[type],
    )) as T;
  }

  /** Deletes; absent objects are fine. `uid` guards against deleting a newer object of the same name. */
  async delete(resource: ResourceRef, name: string, options: { namespace?: string; uid?: string; gracePeriodSeconds?: number } = {}): Promise<boolean> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (options.uid) body.preconditions = { uid: options.uid };
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    try {
      await this.request('DELETE', resourcePath(resource, options.namespace, name), body);
      return true;
    } catch (error) {
      if (error instanceof KubernetesApiError && error.statusCode === 404) return false;
      throw error;
    }
  }

  /**
   * Evicts a pod through the Eviction API, so PodDisruptionBudgets are honoured: the API
   * answers 429 while a budget forbids it (surfaced as a KubernetesApiError).
   */
  async evict(namespace: string, name: string): Promise<void> {
    await this.request('POST', resourcePath(RESOURCES.pods, namespace, name, 'eviction'), {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace },
    });
  }

  /**
   * Streams a watch from `resourceVersion`. Events arrive in order; an ERROR event carries
   * a Status (410 Gone when the version is too old: the caller relists).
   */
  watch<T extends KubeObject>(
    resource: ResourceRef,
    options: ListOptions & { resourceVersion: string; timeoutSeconds?: number },
    onEvent: (event: WatchEvent<T>) => void,
  ): WatchHandle {
    const query = new URLSearchParams({
      watch: '1',
      allowWatchBookmarks: 'true',
      resourceVersion: options.resourceVersion,
      timeoutSeconds: String(options.timeoutSeconds ?? 300),
    });
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    let abort = () => {};
    let aborted = false;
    const done = new Promise<void>((resolve, reject) => {
      const req = this.open('GET', `${resourcePath(resource, options.namespace)}?${query}`, undefined, undefined, res => {
        if ((res.statusCode ?? 0) >= 300) {
          readBody(res).then(text => reject(apiError('GET', resource.plural, res.statusCode ?? 0, text)), reject);
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line) onEvent(JSON.parse(line));
            newline = buffered.indexOf('\n');
          }
        });
        res.on('end', () => resolve());
        res.on('error', reject);
        res.on('aborted', () => resolve());
      });
      req.on('error', error => (aborted ? resolve() : reject(error)));
      abort = () => {
        aborted = true;
        req.destroy();
        resolve();
      };
      req.end();
    });
    return { done, abort: () => abort() };
  }

  /** One request; JSON in and out. Non-2xx answers reject with the server's own message. */
  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    let payload: string | undefined;
    if (body !== undefined) payload = typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = this.open(method, path, payload, contentType, res => {
        readBody(res).then(text => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(text ? JSON.parse(text) : undefined);
          } else {
            reject(apiError(method, path, status, text));
          }
        }, reject);
      });
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  private open(method: string, path: string, payload: string | undefined, contentType: string | undefined, onResponse: (res: IncomingMessage) => void) {
    const url = new URL(path, this.target.server);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return request(
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
      onResponse,
    );
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', c => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function apiError(method: string, path: string, status: number, text: string): KubernetesApiError {
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return new KubernetesApiError(
    status,
    parsed?.reason ?? 'Unknown',
    `${method} ${path.split('?')[0]} failed (${status}): ${parsed?.message ?? text.slice(0, 500)}`,
  );
}

/** True when the apiserver refused because the object changed meanwhile (optimistic concurrency). */
export function isConflict(error: unknown): boolean {
  return error instanceof KubernetesApiError && error.statusCode === 409;
}

export function isKubernetesNotFound(error: unknown): boolean {
  return error instanceof KubernetesApiError && error.statusCode === 404;
}
