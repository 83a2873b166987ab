export { compilePlacement, compiledObjects } from './compilePlacement';
export type {
  CompileOptions,
  CompiledPlacement,
  PodScheduling,
  Toleration,
  TopologySpreadConstraint,
} from './compilePlacement';
export { efaNetworkInterfaces } from './karpenter';
export type {
  NodePool,
  EC2NodeClass,
  FabricNodeClass,
  NodeClassRef,
  NetworkInterface,
  NodeSelectorRequirement,
  Taint,
  DisruptionBudget,
  DisruptionReason,
  SelectorTerm,
} from './karpenter';
export {
  cellLabelValue,
  placementShortName,
  labelSafe,
  ZONE_ID_LABEL,
  ZONE_NAME_LABEL,
  CAPACITY_TYPE_LABEL,
  INSTANCE_TYPE_LABEL,
  CELL_LABEL,
  PLACEMENT_LABEL,
  INTENT_LABEL,
  ISLAND_LABEL,
  CLUSTER_TAG,
  ENTITY_TAG,
  GANG_SCHEDULING_GATE,
  FABRIC_NODEPOOL_LABEL,
  NVIDIA_GPU_RESOURCE,
  NEURON_RESOURCE,
} from './labels';
export { toYaml, toYamlDocument } from './toYaml';
