import { Inventory, Placement } from '@internal/backstage-plugin-fabric-common';
import { buildDemoInventory } from '../../discovery';
import { planPlacement } from '../../placement';
import { request } from '../../placement/__testUtils__/fixtures';

export const demoNow = new Date('2026-01-01T00:00:00Z');

/** One placed placement per intent on the demo estate, as the compile tests use them. */
export function demoPlacements(): { inventory: Inventory; placements: Record<string, Placement> } {
  const inventory = buildDemoInventory(demoNow);
  const plan = (body: Parameters<typeof request>[0]) => {
    const placement = planPlacement(request(body), inventory, { now: demoNow });
    if (placement.status !== 'placed') throw new Error(`demo placement not placed: ${placement.reasons.join(' ')}`);
    return placement;
  };
  return {
    inventory,
    placements: {
      // 4-GPU nodes, spot, over the three best AZ-IDs.
      throughput: plan({ intent: 'throughput', minAzIds: 3, gpu: { family: 'g6e', gpusPerNode: 4, totalGpus: 32 } }),
      // The capacity block, the hub's on-demand and research's on-demand, all in use1-az4.
      'tightly-coupled': plan({ intent: 'tightly-coupled', gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 128 } }),
      // One region, its AZ-IDs, spot and on-demand.
      balanced: plan({ intent: 'balanced', gpu: { family: 'g5', gpusPerNode: 4, totalGpus: 16 } }),
    },
  };
}
