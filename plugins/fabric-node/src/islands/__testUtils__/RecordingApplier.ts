import { KubernetesObject } from '../../kubernetes/KubernetesApplier';
import { IslandKubernetesApplier } from '../kubernetesExecutors';

const keyOf = (o: Pick<KubernetesObject, 'apiVersion' | 'kind' | 'metadata'>) =>
  `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** A hub cluster in memory for the moto tests: stores what is applied, counts the calls. */
export class RecordingApplier implements IslandKubernetesApplier {
  readonly objects = new Map<string, KubernetesObject>();
  readonly applied: KubernetesObject[] = [];
  readonly deleted: string[] = [];

  async apply<T extends KubernetesObject>(object: T): Promise<T> {
    this.applied.push(structuredClone(object));
    this.objects.set(keyOf(object), structuredClone(object));
    return structuredClone(object);
  }

  async get<T extends KubernetesObject>(object: Pick<KubernetesObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<T | undefined> {
    const found = this.objects.get(keyOf(object));
    return found && (structuredClone(found) as T);
  }

  async delete(object: Pick<KubernetesObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<void> {
    if (this.objects.delete(keyOf(object))) this.deleted.push(`${object.kind}/${object.metadata.name}`);
  }

  /** Stored objects of a kind. */
  ofKind(kind: string): any[] {
    return [...this.objects.values()].filter(o => o.kind === kind);
  }
}
