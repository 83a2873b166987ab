export { KubernetesApplier, KubernetesApiError, FABRIC_FIELD_MANAGER, objectPath, collectionPath } from './KubernetesApplier';
export type { KubernetesObject, KubernetesTarget, ListQuery } from './KubernetesApplier';
