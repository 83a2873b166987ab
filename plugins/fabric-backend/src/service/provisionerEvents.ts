import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { placementShortName, ProvisionerEvents } from '@internal/backstage-plugin-fabric-node';
import { PlacementStore } from '../database/FabricStore';

/** One launch or termination, as the provisioner reports it. */
export type ProvisionerAuditEvent = Parameters<NonNullable<ProvisionerEvents['audit']>>[0];

/** How many recent placements are searched for the one a node was launched for. */
const PLACEMENTS_SEARCHED = 500;

/**
 * Records a launch or termination as an audit event naming the NodeClaim, the instances,
 * the cell, the placement and the catalog entity it served. A pod carries only its
 * placement's short name; the stored placement says whose it is.
 */
export async function recordProvisionerAudit(
  deps: { auditor: AuditorService; placements: PlacementStore },
  event: ProvisionerAuditEvent,
): Promise<void> {
  const entityRef = event.placement
    ? (await deps.placements.listPlacements({ limit: PLACEMENTS_SEARCHED })).find(
        r => placementShortName(r.placement) === event.placement,
      )?.entityRef
    : undefined;
  const audit = await deps.auditor.createEvent({
    eventId: event.action === 'launch' ? 'provisioner-launch' : 'provisioner-terminate',
    severityLevel: 'medium',
    meta: {
      nodeClaim: event.claim,
      instanceIds: event.instanceIds,
      cell: event.cell,
      reason: event.reason,
      ...(event.placement ? { placement: event.placement } : {}),
      ...(entityRef ? { entityRef } : {}),
    },
  });
  await audit.success();
}

/**
 * The hosted provisioner's events: log lines to the plugin's logger, and every launch and
 * termination to the audit log (in the background: the loop never waits for the auditor).
 */
export function provisionerEvents(deps: { logger: LoggerService; auditor: AuditorService; placements: PlacementStore }): ProvisionerEvents {
  const { logger } = deps;
  return {
    info: (message, fields) => logger.info(message, fields as any),
    warn: (message, fields) => logger.warn(message, fields as any),
    audit: event => {
      recordProvisionerAudit(deps, event).catch(error =>
        logger.warn('Could not record a provisioner audit event', { claim: event.claim, error: String(error) }),
      );
    },
  };
}
