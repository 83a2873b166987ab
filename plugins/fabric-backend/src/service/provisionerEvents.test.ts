import { mockServices } from '@backstage/backend-test-utils';
import { PlacementRecord } from '@internal/backstage-plugin-fabric-common';
import { placementShortName } from '@internal/backstage-plugin-fabric-node';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { DatabaseFabricStore } from '../database/DatabaseFabricStore';
import { recordProvisionerAudit } from './provisionerEvents';

jest.setTimeout(60_000);

const databases = createTestDatabases();

/** Each launch and termination of the hosted provisioner is audited with its placement and entity. */
describe('provisioner audit events', () => {
  const placementId = '00000000-0000-4000-8000-0000000000a1';
  const record: PlacementRecord = {
    id: placementId,
    entityRef: 'component:default/llm-pretraining',
    createdBy: 'user:default/guest',
    createdAt: '2026-12-01T10:00:00.000Z',
    inventorySource: 'aws',
    inventorySnapshot: '1',
    placement: {
      id: placementId,
      request: { entityRef: 'component:default/llm-pretraining', intent: 'throughput', gpu: { family: 'g6e', totalGpus: 1 }, spotPolicy: 'spot-first', allowSpotForTightlyCoupled: false },
      intent: 'throughput',
      status: 'placed',
      inventoryTakenAt: '2026-12-01T10:00:00.000Z',
      chosen: [],
      rejected: [],
      reasons: ['cheapest spot'],
      cost: { computePerHour: 0.6, networkPerMonth: 0, spotShare: 1 },
      totals: { nodes: 1, gpus: 1 },
    },
  };

  async function setup() {
    const knex = await databases.init('SQLITE_3');
    const placements = await DatabaseFabricStore.create({ database: mockServices.database({ knex, migrations: { skip: false } }) });
    await placements.savePlacement(record);
    const events: Array<{ eventId: string; meta?: Record<string, unknown>; outcome?: string }> = [];
    const auditor = mockServices.auditor.mock({
      createEvent: jest.fn(async options => {
        const recorded: (typeof events)[number] = { eventId: options.eventId, meta: options.meta as Record<string, unknown> };
        events.push(recorded);
        return {
          success: jest.fn(async () => {
            recorded.outcome = 'success';
          }),
          fail: jest.fn(async () => {
            recorded.outcome = 'fail';
          }),
        };
      }),
    });
    return { placements, auditor, events };
  }

  it("records a launch with the cell, the instance, the placement and the placement's entity", async () => {
    const { placements, auditor, events } = await setup();
    await recordProvisionerAudit(
      { auditor, placements },
      {
        action: 'launch',
        claim: 'fabric-222222222222-us-east-1-abc',
        instanceIds: ['i-0123456789abcdef0'],
        cell: '222222222222/us-east-1',
        placement: placementShortName(record.placement),
        reason: 'g6e.xlarge spot in use1-az2',
      },
    );
    expect(events).toEqual([
      {
        eventId: 'provisioner-launch',
        outcome: 'success',
        meta: {
          nodeClaim: 'fabric-222222222222-us-east-1-abc',
          instanceIds: ['i-0123456789abcdef0'],
          cell: '222222222222/us-east-1',
          reason: 'g6e.xlarge spot in use1-az2',
          placement: placementShortName(record.placement),
          entityRef: 'component:default/llm-pretraining',
        },
      },
    ]);
  });

  it('records a termination of a node no placement asked for without an entity', async () => {
    const { placements, auditor, events } = await setup();
    await recordProvisionerAudit(
      { auditor, placements },
      { action: 'terminate', claim: 'fabric-333333333333-us-west-2-def', instanceIds: ['i-0fedcba9876543210'], cell: '333333333333/us-west-2', reason: 'empty for 2m' },
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ eventId: 'provisioner-terminate', outcome: 'success' });
    expect(events[0].meta).not.toHaveProperty('entityRef');
    expect(events[0].meta).not.toHaveProperty('placement');
  });
});
