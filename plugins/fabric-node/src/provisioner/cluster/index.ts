/**
 * The hub-cluster side of the provisioner: leader election, the pending-pod watch and batcher,
 * NodePool/FabricNodeClass readers, NodeClaims, node registration and the gang gate, node
 * lifecycle, and Events/conditions. Composable pieces; the loop that ties them to decide and
 * launch lives beside them.
 */
export * from './leaderElection';
export * from './pendingPods';
export * from './batcher';
export * from './nodePools';
export * from './conditions';
export * from './nodeClaims';
export * from './registration';
export * from './lifecycle';
export * from './events';
export * from './clusterState';
