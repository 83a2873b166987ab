import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  fabricCapacityReadPermission,
  fabricEstateRefreshPermission,
  fabricIslandManagePermission,
  fabricMeshManagePermission,
  fabricPlacementCreatePermission,
} from '@internal/backstage-plugin-fabric-common';
import { FabricPermissionPolicy, PLATFORM_TEAM_REF } from './permissionPolicy';

const user = (ownershipEntityRefs: string[]) =>
  ({
    identity: { type: 'user', userEntityRef: ownershipEntityRefs[0], ownershipEntityRefs },
    info: { userEntityRef: ownershipEntityRefs[0], ownershipEntityRefs },
    credentials: {} as any,
    token: 'token',
  }) as any;

describe('FabricPermissionPolicy', () => {
  const policy = new FabricPermissionPolicy();
  const platformAdmin = user(['user:default/platform-admin', PLATFORM_TEAM_REF]);
  const researcher = user(['user:default/ada', 'group:default/ml-research']);

  it.each([fabricIslandManagePermission, fabricMeshManagePermission, fabricEstateRefreshPermission])(
    'lets only the platform team use %s',
    async permission => {
      expect((await policy.handle({ permission }, platformAdmin)).result).toBe(AuthorizeResult.ALLOW);
      expect((await policy.handle({ permission }, researcher)).result).toBe(AuthorizeResult.DENY);
      expect((await policy.handle({ permission }, undefined)).result).toBe(AuthorizeResult.DENY);
    },
  );

  it.each([fabricCapacityReadPermission, fabricPlacementCreatePermission])('lets everyone use %s', async permission => {
    expect((await policy.handle({ permission }, researcher)).result).toBe(AuthorizeResult.ALLOW);
    expect((await policy.handle({ permission }, platformAdmin)).result).toBe(AuthorizeResult.ALLOW);
  });
});
