export { Provisioner, LAST_BATCH_ANNOTATION, DECISIONS_PER_SECOND_ANNOTATION, PENDING_PODS_ANNOTATION } from './Provisioner';
export type { ProvisionerOptions, ProvisionerEvents, ProvisionerHealth } from './Provisioner';
export { provisionerFromConfig, assertProvisionerConfig, PROVISIONER_LEASE_NAME } from './fromConfig';
export type { ProvisionerFromConfigOptions } from './fromConfig';
export { nodeUserData } from './nodeUserData';
export type { NodeUserDataInput } from './nodeUserData';
