export { launchClaims, nodeClassLaunchTemplateName, GANG_TAG } from './launchClaims';
export type { ClaimToLaunch, ClaimLaunchResult, LaunchDependencies } from './launchClaims';
export { listFabricInstances, terminateInstances, collectGarbage, DEFAULT_GC_GRACE_MS } from './garbageCollect';
export type { FabricInstance, CellAccess, KnownClaim, GarbageCollection } from './garbageCollect';
