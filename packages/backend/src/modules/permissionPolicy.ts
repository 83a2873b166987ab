import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  fabricEstateRefreshPermission,
  fabricIslandManagePermission,
  fabricMeshManagePermission,
} from '@internal/backstage-plugin-fabric-common';

/** The group whose members may change shared infrastructure. */
export const PLATFORM_TEAM_REF = 'group:default/platform-team';

const platformOnly = new Set([
  fabricIslandManagePermission.name,
  fabricMeshManagePermission.name,
  fabricEstateRefreshPermission.name,
]);

/**
 * Everyone may read capacity and request placements; only the platform team may
 * build islands, change the peering mesh or force discovery, because those change
 * infrastructure other teams share.
 */
export class FabricPermissionPolicy implements PermissionPolicy {
  async handle(request: PolicyQuery, user?: PolicyQueryUser): Promise<PolicyDecision> {
    if (platformOnly.has(request.permission.name)) {
      const refs = user?.info.ownershipEntityRefs ?? [];
      return {
        result: refs.includes(PLATFORM_TEAM_REF) ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      };
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'fabric-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new FabricPermissionPolicy());
      },
    });
  },
});
