export { KubernetesApplier, KubernetesApiError, FABRIC_FIELD_MANAGER, objectPath, collectionPath } from './KubernetesApplier';
export type { KubernetesObject, KubernetesTarget, ListQuery } from './KubernetesApplier';
export { KubernetesClient, RESOURCES, PROVISIONER_FIELD_MANAGER, resourcePath, isConflict, isKubernetesNotFound } from './KubernetesClient';
export type { ResourceRef, KubeObject, ObjectMeta, ListOptions, WatchEvent, WatchHandle, PatchType } from './KubernetesClient';
export { startInformer, objectKey } from './informer';
export type { Informer, InformerHandlers, InformerOptions } from './informer';
