export { launchClaims, nodeClassLaunchTemplateName, classifyLaunchFailure, GANG_TAG } from './launchClaims';
export type { ClaimToLaunch, ClaimLaunchResult, LaunchDependencies, LaunchFailureKind } from './launchClaims';
export { listFabricInstances, terminateInstances, collectGarbage, DEFAULT_GC_GRACE_MS } from './garbageCollect';
export type { FabricInstance, CellAccess, KnownClaim, GarbageCollection } from './garbageCollect';
