export { KubernetesApplier, KubernetesApiError, FABRIC_FIELD_MANAGER, objectPath } from './KubernetesApplier';
export type { KubernetesObject, KubernetesTarget } from './KubernetesApplier';
