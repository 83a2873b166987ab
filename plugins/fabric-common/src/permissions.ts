import { createPermission } from '@backstage/plugin-permission-common';

/** Read capacity, estate and placements. @public */
export const fabricCapacityReadPermission = createPermission({
  name: 'fabric.capacity.read',
  attributes: { action: 'read' },
});

/** Request a placement for a workload. @public */
export const fabricPlacementCreatePermission = createPermission({
  name: 'fabric.placement.create',
  attributes: { action: 'create' },
});

/** Create, apply and destroy EFA training islands. @public */
export const fabricIslandManagePermission = createPermission({
  name: 'fabric.island.manage',
  attributes: { action: 'update' },
});

/** Plan and apply the VPC peering mesh. @public */
export const fabricMeshManagePermission = createPermission({
  name: 'fabric.mesh.manage',
  attributes: { action: 'update' },
});

/** Trigger a discovery run outside the schedule. @public */
export const fabricEstateRefreshPermission = createPermission({
  name: 'fabric.estate.refresh',
  attributes: { action: 'update' },
});

/** Every fabric permission, for registration with the permission framework. @public */
export const fabricPermissions = [
  fabricCapacityReadPermission,
  fabricPlacementCreatePermission,
  fabricIslandManagePermission,
  fabricMeshManagePermission,
  fabricEstateRefreshPermission,
];
