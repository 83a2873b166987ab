import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { MotoServer, startMotoServer } from '@internal/fabric-test-tooling';
import { resourceShareExecutors } from '../islands/executors/resourceShare';
import { ISLAND_STEP_TYPES } from '../islands/planIsland';
import { applyPlan } from '../plan/applyPlan';
import { InMemoryCheckpointStore } from '../plan/CheckpointStore';
import { buildDestroyPlan } from '../plan/destroyPlan';
import { Plan } from '../plan/types';
import { AwsClientFactory } from './AwsClientFactory';
import { RamResourceShare } from './ram';

jest.setTimeout(60_000);

const NETWORK = '444444444444';
const RESEARCH = '222222222222';
const cell: CellRef = { accountId: NETWORK, region: 'us-east-1' };
const network = { id: NETWORK, roleArn: `arn:aws:iam::${NETWORK}:role/fabric-network` };
const subnetArn = `arn:aws:ec2:us-east-1:${NETWORK}:subnet/subnet-0123456789abcdef0`;

/**
 * The production RAM client (`AwsClientFactory.ram`: the real `RAMClient` and commands
 * behind the engine's `RamApi`) against moto_server, which keeps RAM shares per account.
 * moto 5.2.1's RAM has no cross-account effect and no AssociateResourceShare
 * (shared/reference/moto.md); it also drops a share's tags (a share found again there
 * cannot prove it is the plan's own: `islandExecutors.test.ts` covers that) and ignores
 * GetResourceShares filters, so every look-up here matches client-side, as the executors do.
 */
const named = (shares: RamResourceShare[] | undefined, name: string) =>
  (shares ?? []).filter(s => s.name === name).map(s => [s.resourceShareArn, s.status]);

describe('the RAM client against moto_server', () => {
  let moto: MotoServer;
  let factory: AwsClientFactory;

  beforeAll(async () => {
    moto = await startMotoServer();
    factory = new AwsClientFactory({
      endpoint: moto.endpoint,
      hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    factory?.destroy();
    await moto?.stop();
  });

  it('creates, finds, lists the associations of, and deletes a share as the network account', async () => {
    const ram = factory.ram(cell, network);
    const created = await ram.createResourceShare({
      name: 'fabric-island-direct',
      resourceArns: [subnetArn],
      principals: [RESEARCH],
      allowExternalPrincipals: false,
      tags: [{ key: 'fabric.cloudspectra.io/step', value: 'island:direct:ram-share' }],
      clientToken: 'token-direct',
    });
    const arn = created.resourceShare?.resourceShareArn;
    expect(arn).toContain(`:${NETWORK}:resource-share/`);

    const found = await ram.getResourceShares({ resourceOwner: 'SELF', name: 'fabric-island-direct' });
    expect(found.resourceShares?.filter(share => share.name === 'fabric-island-direct')).toEqual([
      expect.objectContaining({
        resourceShareArn: arn,
        owningAccountId: NETWORK,
        allowExternalPrincipals: false,
        status: 'ACTIVE',
      }),
    ]);

    const principals = await ram.getResourceShareAssociations!({ associationType: 'PRINCIPAL', resourceShareArns: [arn!] });
    const resources = await ram.getResourceShareAssociations!({ associationType: 'RESOURCE', resourceShareArns: [arn!] });
    expect(principals.resourceShareAssociations?.map(a => a.associatedEntity)).toEqual([RESEARCH]);
    expect(resources.resourceShareAssociations?.map(a => a.associatedEntity)).toEqual([subnetArn]);

    await expect(ram.deleteResourceShare({ resourceShareArn: arn! })).resolves.toMatchObject({ returnValue: true });
    const after = await ram.getResourceShares({ resourceOwner: 'SELF', resourceShareArns: [arn!] });
    expect(named(after.resourceShares, 'fabric-island-direct')).toEqual([[arn, 'DELETED']]);
  });

  it('carries the island share step through apply, a re-apply and destroy', async () => {
    const executors = resourceShareExecutors(shareCell => factory.ram(shareCell, network));
    const plan: Plan = {
      id: 'ram-plan-1',
      owner: 'team-ml',
      title: 'share the island',
      steps: [
        {
          key: 'island:a:ram-share',
          title: 'share',
          kind: 'aws',
          type: ISLAND_STEP_TYPES.createResourceShare,
          cell,
          input: { name: 'fabric-island-a', resourceArns: [subnetArn], principals: [RESEARCH], allowExternalPrincipals: false },
        },
      ],
    };
    const checkpoints = new InMemoryCheckpointStore();
    const applied = await applyPlan(plan, { executors, checkpoints });
    expect(applied.steps[0]).toMatchObject({ status: 'done', via: 'run', output: { created: true } });
    const arn = applied.steps[0].output?.resourceShareArn as string;

    // Planned again: the probe finds the share by name, with every principal and
    // resource associated, and creates no second one.
    const again = await applyPlan(plan, { executors, checkpoints: new InMemoryCheckpointStore() });
    expect(again.steps[0]).toMatchObject({ via: 'probe', output: { resourceShareArn: arn } });
    const live = await factory.ram(cell, network).getResourceShares({ resourceOwner: 'SELF', name: 'fabric-island-a' });
    expect(named(live.resourceShares, 'fabric-island-a')).toEqual([[arn, 'ACTIVE']]);

    const destroy = await buildDestroyPlan(plan, { executors, checkpoints, planId: 'ram-plan-1-destroy' });
    expect(destroy.plan.steps.map(s => s.type)).toEqual([ISLAND_STEP_TYPES.deleteResourceShare]);
    const destroyed = await applyPlan(destroy.plan, { executors, checkpoints });
    expect(destroyed.status).toBe('done');
    const after = await factory.ram(cell, network).getResourceShares({ resourceOwner: 'SELF', name: 'fabric-island-a' });
    expect(named(after.resourceShares, 'fabric-island-a')).toEqual([[arn, 'DELETED']]);
  });
});
