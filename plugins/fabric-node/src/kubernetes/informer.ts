import { KubernetesApiError } from './KubernetesApplier';
import { KubeObject, KubernetesClient, ListOptions, ResourceRef, WatchEvent } from './KubernetesClient';

export interface InformerHandlers<T extends KubeObject> {
  onAdd?(object: T): void;
  onUpdate?(previous: T, current: T): void;
  onDelete?(object: T): void;
}

export interface InformerOptions extends ListOptions {
  /**
   * Every `resyncMs` each stored object is delivered again through `onUpdate(o, o)`, so a
   * handler that failed or was skipped converges without polling the server. Default 5 min; 0 = never.
   */
  resyncMs?: number;
  /** Server-side watch timeout; the informer re-watches from its last version. Default 300 s. */
  watchTimeoutSeconds?: number;
  /**
   * Start watching from this resourceVersion (e.g. one remembered earlier) instead of listing
   * first. If the server no longer has it (410 Gone), the informer relists.
   */
  resumeFrom?: string;
  /** Delay before retrying after a transport error. Default 1 s. */
  retryDelayMs?: number;
  onError?(error: unknown): void;
}

export interface Informer<T extends KubeObject> {
  /** Resolves once the first list (or resumed watch) has filled the store. */
  synced: Promise<void>;
  get(name: string, namespace?: string): T | undefined;
  list(): T[];
  /** Last resourceVersion seen (from a list, an event or a bookmark). */
  resourceVersion(): string;
  /** How many times the informer had to relist after the server forgot its version (410 Gone). */
  relists(): number;
  stop(): void;
}

/** Store key of an object: `namespace/name` or `name`. */
export function objectKey(object: { metadata: { name: string; namespace?: string } }): string {
  return object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;
}

/**
 * A small informer (client-go's list + watch + store, without the work queue): list, then
 * watch from the list's resourceVersion with bookmarks; on 410 Gone relist and deliver the
 * difference as add/update/delete; on a server timeout re-watch from the last version; every
 * `resyncMs` deliver the store again. Handlers run synchronously in event order.
 */
export function startInformer<T extends KubeObject>(
  client: KubernetesClient,
  resource: ResourceRef,
  handlers: InformerHandlers<T>,
  options: InformerOptions = {},
): Informer<T> {
  const store = new Map<string, T>();
  let resourceVersion = options.resumeFrom ?? '';
  let relistCount = 0;
  let stopped = false;
  let currentWatch: { abort(): void } | undefined;
  let markSynced: () => void = () => {};
  const synced = new Promise<void>(resolve => {
    markSynced = resolve;
  });
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const report = (error: unknown) => options.onError?.(error);
  const safely = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      report(error);
    }
  };

  const relist = async () => {
    const { items, resourceVersion: listed } = await client.list<T>(resource, options);
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const previous = store.get(key);
      store.set(key, item);
      if (!previous) safely(() => handlers.onAdd?.(item));
      else if (previous.metadata.resourceVersion !== item.metadata.resourceVersion) safely(() => handlers.onUpdate?.(previous, item));
    }
    for (const [key, previous] of [...store]) {
      if (!seen.has(key)) {
        store.delete(key);
        safely(() => handlers.onDelete?.(previous));
      }
    }
    resourceVersion = listed;
  };

  const apply = (event: WatchEvent<T>) => {
    if (event.type === 'ERROR') {
      const status = event.object as unknown as { code?: number; reason?: string; message?: string };
      throw new KubernetesApiError(status.code ?? 500, status.reason ?? 'Unknown', status.message ?? 'watch error');
    }
    resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
    if (event.type === 'BOOKMARK') return;
    const key = objectKey(event.object);
    const previous = store.get(key);
    if (event.type === 'DELETED') {
      store.delete(key);
      safely(() => handlers.onDelete?.(previous ?? event.object));
    } else if (previous) {
      store.set(key, event.object);
      safely(() => handlers.onUpdate?.(previous, event.object));
    } else {
      store.set(key, event.object);
      safely(() => handlers.onAdd?.(event.object));
    }
  };

  const run = async () => {
    let needsList = !options.resumeFrom;
    while (!stopped) {
      try {
        if (needsList) {
          await relist();
          needsList = false;
          markSynced();
        }
        let watchError: unknown;
        const watch = client.watch<T>(
          resource,
          { ...options, resourceVersion, timeoutSeconds: options.watchTimeoutSeconds ?? 300 },
          event => {
            if (watchError) return;
            try {
              apply(event);
            } catch (error) {
              watchError = error;
              watch.abort();
            }
          },
        );
        currentWatch = watch;
        if (options.resumeFrom) markSynced();
        await watch.done;
        if (watchError) throw watchError;
      } catch (error) {
        if (stopped) return;
        if (error instanceof KubernetesApiError && (error.statusCode === 410 || error.reason === 'Expired' || error.reason === 'Gone')) {
          relistCount++;
          needsList = true;
          continue;
        }
        report(error);
        await new Promise(resolve => setTimeout(resolve, retryDelayMs));
      }
    }
  };

  const resync = options.resyncMs === 0
    ? undefined
    : setInterval(() => {
        for (const object of store.values()) safely(() => handlers.onUpdate?.(object, object));
      }, options.resyncMs ?? 5 * 60_000);
  resync?.unref?.();

  void run();

  return {
    synced,
    get: (name, namespace) => store.get(namespace ? `${namespace}/${name}` : name),
    list: () => [...store.values()],
    resourceVersion: () => resourceVersion,
    relists: () => relistCount,
    stop: () => {
      stopped = true;
      if (resync) clearInterval(resync);
      currentWatch?.abort();
    },
  };
}
