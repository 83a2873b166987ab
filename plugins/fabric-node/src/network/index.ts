export {
  parseCidr,
  formatCidr,
  blockSize,
  lastAddress,
  cidrsOverlap,
  cidrContains,
  findOverlaps,
  planCidrs,
} from './cidr';
export type { Ipv4Cidr, CidrHolder, CidrOverlap, PlanCidrsInput, CidrAllocation, CidrPlan } from './cidr';
export { planMesh, MESH_STEP_TYPES } from './planMesh';
export { MESH_QUOTAS, readMeshQuotas, defaultMeshQuotas, meshQuotaRefusal } from './meshQuotas';
export type { MeshQuotas, MeshQuotaValue, MeshQuotaName } from './meshQuotas';
export type { MeshVpc, PlanMeshInput, PlannedPair, MeshPairNote, MeshRefusedPair, MeshPlan } from './planMesh';
export {
  lookupMeshPeerings,
  describePeering,
  describePeeringsOfVpcs,
  toExistingPeering,
  isLivePeering,
  LIVE_PEERING_STATES,
} from './peerings';
export type { ExistingPeering, MeshAwsAccess } from './peerings';
export { meshExecutors } from './meshExecutors';
export type { MeshExecutorOptions } from './meshExecutors';
export { estimateMeshCost, TRANSIT_GATEWAY_ATTACHMENT_PER_HOUR } from './meshCost';
export type { MeshTrafficFlow, EstimateMeshCostInput, MeshPath, MeshFlowCost, MeshCostEstimate } from './meshCost';
export { discoverMeshVpcs, MESH_VPC_TAG } from './meshVpcs';
export type { MeshVpcDiscovery } from './meshVpcs';
export { demoMeshVpcs } from './demoMesh';
export { loadMeshTopology } from './meshTopology';
export type { MeshTopology, LoadMeshTopologyOptions } from './meshTopology';
