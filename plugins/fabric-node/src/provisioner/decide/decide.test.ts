import { decide } from './decide';
import { allocatableOf } from './scheduling';
import {
  DEMO_NOW,
  cellPool,
  decideInput,
  demoInventory,
  gpuPod,
} from '../__testUtils__/estateFixture';
import { InsufficientCapacityCache } from '../../placement/InsufficientCapacityCache';
import { NodeClaimDecision } from '../types';
import { NodeSelectorRequirement } from '../../compile/karpenter';

const FAMILY = 'karpenter.k8s.aws/instance-family';
const ZONE_ID = 'topology.k8s.aws/zone-id';
const CELL = 'fabric.cloudspectra.io/cell';
const CAPACITY = 'karpenter.sh/capacity-type';
const TYPE = 'node.kubernetes.io/instance-type';

const inventory = demoInventory();
const podsPerNode = (claims: NodeClaimDecision[]) => claims.map(c => c.podUids.length).sort((a, b) => b - a);

describe('decide', () => {
  it('gives one pending GPU pod one node: the cheapest spot offering that holds it, then fallbacks', () => {
    const pod = gpuPod('infer-0', { gpus: 1, cpu: 2, memoryGiB: 16, terms: [[{ key: FAMILY, operator: 'In', values: ['g6e'] }]] });
    const decision = decide(decideInput(inventory, [pod]));

    expect(decision.unschedulable).toEqual([]);
    expect(decision.claims).toHaveLength(1);
    const [claim] = decision.claims;
    expect(claim.podUids).toEqual([pod.uid]);
    const first = claim.offerings[0];
    expect(first).toMatchObject({ instanceType: 'g6e.xlarge', capacityType: 'spot' });
    // The cheapest g6e.xlarge spot offering in the estate.
    const cheapest = Math.min(
      ...inventory.offerings.filter(o => o.instanceType === 'g6e.xlarge' && o.capacityType === 'spot').map(o => o.pricePerHour),
    );
    expect(first.pricePerHour).toBe(cheapest);
    // All fallbacks hold the pod, stay in the claim's cell, and spot comes before on-demand.
    const offered = inventory.offerings.filter(o => o.accountId === claim.cell.accountId && o.region === claim.cell.region);
    for (const offering of claim.offerings) {
      expect(offering.instanceType.startsWith('g6e.')).toBe(true);
      expect(offered.some(o => o.azId === offering.azId && o.instanceType === offering.instanceType)).toBe(true);
    }
    const ranks = claim.offerings.map(o => (o.capacityType === 'spot' ? 0 : 1));
    expect(ranks).toEqual([...ranks].sort());
    expect(ranks).toContain(1);
  });

  it('packs pods that do not fit a small node onto the type with the lowest price per pod', () => {
    // 5 CPUs per pod: a g6e.xlarge (4 vCPUs) cannot hold one.
    const pods = Array.from({ length: 8 }, (_, i) =>
      gpuPod(`train-${i}`, { gpus: 1, cpu: 5, memoryGiB: 32, terms: [[{ key: FAMILY, operator: 'In', values: ['g6e'] }, { key: CAPACITY, operator: 'In', values: ['on-demand'] }]] }),
    );
    const decision = decide(decideInput(inventory, pods));

    expect(decision.unschedulable).toEqual([]);
    // On-demand list prices: g6e.12xlarge holds 4 such pods at a lower price per pod than
    // g6e.48xlarge holds 8.
    expect(podsPerNode(decision.claims)).toEqual([4, 4]);
    expect(decision.claims.map(c => c.offerings[0].instanceType)).toEqual(['g6e.12xlarge', 'g6e.12xlarge']);
    for (const claim of decision.claims) {
      expect(claim.requests).toMatchObject({ gpus: 4, cpuMillis: 20_000, pods: 4 });
      expect(claim.offerings.every(o => o.capacityType === 'on-demand')).toBe(true);
    }
  });

  it('keeps every offering within the AZ-ID and cell the pod requires', () => {
    const pod = gpuPod('pinned', {
      gpus: 8,
      cpu: 32,
      memoryGiB: 256,
      terms: [[{ key: ZONE_ID, operator: 'In', values: ['use1-az4'] }, { key: CELL, operator: 'In', values: ['111111111111.us-east-1'] }]],
    });
    const [claim] = decide(decideInput(inventory, [pod])).claims;
    expect(claim.cell).toEqual({ accountId: '111111111111', region: 'us-east-1' });
    expect(new Set(claim.offerings.map(o => o.azId))).toEqual(new Set(['use1-az4']));
    expect(claim.offerings.map(o => o.instanceType)).toEqual(expect.arrayContaining(['p5.48xlarge', 'g6e.48xlarge']));
  });

  it('honours NotIn and instance-type requirements', () => {
    const pod = gpuPod('not-spot', {
      gpus: 8,
      terms: [[{ key: CAPACITY, operator: 'NotIn', values: ['spot'] }, { key: TYPE, operator: 'In', values: ['p4d.24xlarge'] }]],
    });
    const [claim] = decide(decideInput(inventory, [pod])).claims;
    expect(claim.offerings.length).toBeGreaterThan(0);
    expect(claim.offerings.every(o => o.instanceType === 'p4d.24xlarge' && o.capacityType === 'on-demand')).toBe(true);
  });

  it("matches Karpenter's well-known node labels in NodePool and pod requirements", () => {
    const cells = inventory.cells.filter(c => c.fresh && c.accountId === '111111111111');
    const pairs = cells.map(c =>
      cellPool(c, {
        requirements: [
          { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
          { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
          { key: CAPACITY, operator: 'In', values: ['spot', 'on-demand'] },
        ],
      }),
    );
    const pod = gpuPod('big-gpus', {
      gpus: 1,
      terms: [[{ key: 'karpenter.k8s.aws/instance-gpu-count', operator: 'Gt', values: ['4'] }, { key: 'karpenter.k8s.aws/instance-gpu-manufacturer', operator: 'In', values: ['nvidia'] }]],
    });
    const decision = decide(decideInput(inventory, [pod], { nodePools: pairs.map(p => p.nodePool), nodeClasses: pairs.map(p => p.nodeClass) }));
    expect(decision.unschedulable).toEqual([]);
    const types = new Set(decision.claims[0].offerings.map(o => o.instanceType));
    expect([...types].every(t => inventory.instanceTypes.find(i => i.instanceType === t)!.acceleratorCount === 8)).toBe(true);
  });

  it('says which taint a pod does not tolerate', () => {
    const pod = gpuPod('no-toleration', { tolerations: [] });
    const decision = decide(decideInput(inventory, [pod]));
    expect(decision.claims).toEqual([]);
    expect(decision.unschedulable).toEqual([
      { uid: pod.uid, reason: expect.stringContaining("no NodePool's taints are tolerated (untolerated: nvidia.com/gpu=true:NoSchedule)") },
    ]);
  });

  it('leaves a pod no instance type can hold unschedulable, saying what it lacks', () => {
    const pod = gpuPod('sixteen-gpus', { gpus: 16, cpu: 8 });
    const decision = decide(decideInput(inventory, [pod]));
    expect(decision.claims).toEqual([]);
    expect(decision.unschedulable).toEqual([
      { uid: pod.uid, reason: expect.stringMatching(/^no instance type can hold it: it requests 16 nvidia.com\/gpu \(the most any matching type offers is 8, \S+\)$/) },
    ]);
  });

  it('skips offerings the insufficient-capacity cache holds and falls back to the next', () => {
    const pod = gpuPod('ice', { gpus: 1, cpu: 2, terms: [[{ key: TYPE, operator: 'In', values: ['g6e.xlarge'] }]] });
    const before = decide(decideInput(inventory, [pod])).claims[0].offerings[0];
    const cache = new InsufficientCapacityCache();
    cache.markInsufficient({ instanceType: before.instanceType, azId: before.azId, capacityType: before.capacityType }, { now: DEMO_NOW });

    const after = decide(decideInput(inventory, [pod], { insufficientCapacity: cache })).claims[0];
    expect(after.offerings.some(o => o.azId === before.azId && o.capacityType === before.capacityType)).toBe(false);
    expect(after.offerings[0].capacityType).toBe('spot');

    // Every g6e.xlarge offering exhausted: the reason names the cache.
    for (const offering of inventory.offerings.filter(o => o.instanceType === 'g6e.xlarge')) {
      cache.markInsufficient(offering, { now: DEMO_NOW });
    }
    const none = decide(decideInput(inventory, [pod], { insufficientCapacity: cache }));
    expect(none.claims).toEqual([]);
    expect(none.unschedulable[0].reason).toMatch(/every matching offering is marked insufficient capacity \(g6e.xlarge/);
  });

  it('decides the pods of a claim the fleet refused again, onto the next offering, in the same batch', () => {
    const pods = [0, 1].map(i => gpuPod(`retry-${i}`, { gpus: 8, cpu: 64, memoryGiB: 512, terms: [[{ key: TYPE, operator: 'In', values: ['p5.48xlarge'] }]] }));
    const cache = new InsufficientCapacityCache();
    const first = decide(decideInput(inventory, pods, { insufficientCapacity: cache }));
    expect(first.claims).toHaveLength(2);
    const [refused, kept] = first.claims;
    // The launcher marks what the fleet refused: every offering of the first claim.
    for (const o of refused.offerings) cache.markInsufficient(o, { now: DEMO_NOW });
    const inFlight = [{
      name: kept.name,
      nodePool: kept.nodePool,
      cell: kept.cell,
      instanceType: kept.offerings[0].instanceType,
      capacityType: kept.offerings[0].capacityType,
      podUids: kept.podUids,
    }];

    const retry = decide(decideInput(inventory, pods, { insufficientCapacity: cache, inFlight }));
    expect(retry.claims.map(c => c.podUids)).toEqual([refused.podUids]);
    const refusedKeys = new Set(refused.offerings.map(o => `${o.azId}|${o.capacityType}`));
    expect(retry.claims[0].offerings.length).toBeGreaterThan(0);
    expect(retry.claims[0].offerings.some(o => refusedKeys.has(`${o.azId}|${o.capacityType}`))).toBe(false);
  });

  it('draws on the shared vCPU quota of a family and says when it runs out', () => {
    // ml-research (222…) has no P5 spot quota and 768 on-demand P vCPUs per region: four p5.48xlarge.
    const terms: NodeSelectorRequirement[][] = [[{ key: CELL, operator: 'In', values: ['222222222222.us-east-1'] }, { key: FAMILY, operator: 'In', values: ['p5', 'p5en'] }]];
    const pods = Array.from({ length: 6 }, (_, i) => gpuPod(`p5-${i}`, { gpus: 8, cpu: 96, memoryGiB: 1024, terms }));
    const decision = decide(decideInput(inventory, pods));

    expect(decision.claims).toHaveLength(4);
    expect(decision.claims.every(c => c.offerings[0].capacityType === 'on-demand')).toBe(true);
    expect(decision.unschedulable).toHaveLength(2);
    expect(decision.unschedulable[0].reason).toMatch(
      /^no vCPU quota left for any matching offering \(.*Running On-Demand P instances in 222222222222\/us-east-1 has 0 vCPUs left, p5\S* needs 192/,
    );
  });

  it('counts in-flight claims against quota and does not decide their pods again', () => {
    const terms: NodeSelectorRequirement[][] = [[{ key: CELL, operator: 'In', values: ['222222222222.us-east-1'] }, { key: TYPE, operator: 'In', values: ['p5.48xlarge'] }]];
    const launching = gpuPod('launching', { gpus: 8, terms });
    const pods = [launching, ...Array.from({ length: 4 }, (_, i) => gpuPod(`more-${i}`, { gpus: 8, terms }))];
    const inFlight = [0, 1].map(i => ({
      name: `claim-${i}`,
      nodePool: 'fabric-222222222222-us-east-1',
      cell: { accountId: '222222222222', region: 'us-east-1' },
      instanceType: 'p5.48xlarge',
      capacityType: 'on-demand' as const,
      podUids: i === 0 ? [launching.uid] : [],
    }));
    const decision = decide(decideInput(inventory, pods, { inFlight }));
    const decided = decision.claims.flatMap(c => c.podUids);
    expect(decided).not.toContain(launching.uid);
    expect(decision.claims).toHaveLength(2);
    expect(decision.unschedulable.map(u => u.uid)).toHaveLength(2);
  });

  it('stops at NodePool limits', () => {
    const cell = inventory.cells.find(c => c.accountId === '111111111111' && c.region === 'us-east-1')!;
    const { nodePool, nodeClass } = cellPool(cell, { limits: { gpus: 16 } });
    const pods = Array.from({ length: 3 }, (_, i) => gpuPod(`limited-${i}`, { gpus: 8, cpu: 16 }));
    const decision = decide(decideInput(inventory, pods, { nodePools: [nodePool], nodeClasses: [nodeClass], nodePoolUsage: {} }));
    expect(decision.claims).toHaveLength(2);
    expect(decision.unschedulable).toEqual([
      { uid: expect.any(String), reason: `NodePool limits reached: ${nodePool.name} cannot add a node that holds it` },
    ]);
  });

  it('tries heavier NodePools first, even when a lighter one is cheaper', () => {
    const cells = inventory.cells.filter(c => c.accountId === '222222222222' && c.fresh);
    const heavy = cellPool(cells[0], { weight: 50 });
    const light = cellPool(cells[1], { weight: 1 });
    const pod = gpuPod('weighted', { gpus: 1, terms: [[{ key: TYPE, operator: 'In', values: ['g5.xlarge'] }]] });
    for (const [pools, expected] of [
      [[heavy, light], heavy],
      [[{ ...heavy, nodePool: { ...heavy.nodePool, weight: 1 } }, { ...light, nodePool: { ...light.nodePool, weight: 50 } }], light],
    ] as const) {
      const decision = decide(
        decideInput(inventory, [pod], { nodePools: pools.map(p => p.nodePool), nodeClasses: pools.map(p => p.nodeClass) }),
      );
      expect(decision.claims[0].nodePool).toBe(expected.nodePool.name);
    }
  });

  it('launches a gang of 4 × p5 in one AZ-ID, one type, one NodePool, or not at all', () => {
    const gang = { name: 'llm-pretrain', size: 4 };
    const terms: NodeSelectorRequirement[][] = [[{ key: FAMILY, operator: 'In', values: ['p5'] }]];
    const members = Array.from({ length: 4 }, (_, i) => gpuPod(`rank-${i}`, { gpus: 8, cpu: 150, memoryGiB: 1500, efa: 32, terms, gang }));
    const decision = decide(decideInput(inventory, members));

    expect(decision.unschedulable).toEqual([]);
    expect(decision.claims).toHaveLength(4);
    expect(decision.gangs).toEqual([{ name: 'llm-pretrain', claims: decision.claims.map(c => c.name) }]);
    const first = decision.claims[0].offerings[0];
    for (const claim of decision.claims) {
      expect(claim.gang).toBe('llm-pretrain');
      expect(claim.nodePool).toBe(decision.claims[0].nodePool);
      expect(claim.offerings[0]).toEqual(first);
      expect(claim.podUids).toHaveLength(1);
    }
    expect(first.instanceType).toBe('p5.48xlarge');
  });

  it('refuses a gang the quota cannot hold whole, and says where it came closest', () => {
    const gang = { name: 'too-big', size: 4 };
    // 222… in us-west-2: 768 on-demand P vCPUs = four p5, but only three after an in-flight one.
    const terms: NodeSelectorRequirement[][] = [[{ key: CELL, operator: 'In', values: ['222222222222.us-west-2'] }, { key: TYPE, operator: 'In', values: ['p5.48xlarge'] }]];
    const members = Array.from({ length: 4 }, (_, i) => gpuPod(`gang-${i}`, { gpus: 8, cpu: 150, memoryGiB: 1500, terms, gang }));
    const inFlight = [{ name: 'other', nodePool: 'fabric-222222222222-us-west-2', cell: { accountId: '222222222222', region: 'us-west-2' }, instanceType: 'p5.48xlarge', capacityType: 'on-demand' as const, podUids: [] }];
    const decision = decide(decideInput(inventory, members, { inFlight }));

    expect(decision.claims).toEqual([]);
    expect(decision.unschedulable).toHaveLength(4);
    expect(decision.unschedulable[0].reason).toMatch(
      /^gang too-big of 4 needs 4 × p5.48xlarge in one AZ-ID; best is usw2-az\d \(222222222222.us-west-2, on-demand\) with quota for 3$/,
    );
  });

  it('tries a gang on spot in every AZ-ID that can hold it before it falls back to on-demand', () => {
    // One NodePool per cell allowing spot and on-demand; the gang may use either cell of
    // account 111…, whose spot and on-demand quotas each hold two p5 in every AZ-ID.
    const gang = { name: 'finetune', size: 2 };
    const terms: NodeSelectorRequirement[][] = [
      [
        { key: CELL, operator: 'In', values: ['111111111111.us-east-1', '111111111111.us-west-2'] },
        { key: TYPE, operator: 'In', values: ['p5.48xlarge'] },
      ],
    ];
    const members = [0, 1].map(i => gpuPod(`finetune-${i}`, { gpus: 8, cpu: 150, memoryGiB: 1500, efa: 32, terms, gang }));
    const launchOrder = (claims: NodeClaimDecision[]) => {
      // Every member's claim lists the same offerings, in the order the launcher tries them.
      expect(new Set(claims.map(c => JSON.stringify(c.offerings))).size).toBe(1);
      return claims[0].offerings.map(o => `${o.azId} ${o.capacityType}`);
    };
    const spotAzIds = inventory.offerings
      .filter(o => o.accountId === '111111111111' && o.instanceType === 'p5.48xlarge' && o.capacityType === 'spot')
      .map(o => o.azId);
    expect(spotAzIds).toHaveLength(7);

    // While other AZ-IDs could take the gang on spot, its claims offer spot only: a refusal
    // sends the next round to the next AZ-ID's spot, not to on-demand here.
    const cache = new InsufficientCapacityCache();
    const tried: string[] = [];
    for (let round = 0; round < spotAzIds.length - 1; round++) {
      const decision = decide(decideInput(inventory, members, { insufficientCapacity: cache }));
      expect(decision.unschedulable).toEqual([]);
      const offered = launchOrder(decision.claims);
      expect(offered).toHaveLength(1);
      expect(offered[0]).toMatch(/ spot$/);
      const azId = decision.claims[0].offerings[0].azId;
      expect(tried).not.toContain(azId);
      tried.push(azId);
      // The fleet answers InsufficientInstanceCapacity; the launcher marks the offering.
      cache.markInsufficient({ instanceType: 'p5.48xlarge', azId, capacityType: 'spot' }, { now: DEMO_NOW });
    }

    // The last AZ-ID with spot room: on-demand there is the fallback in the same fleet call.
    const last = decide(decideInput(inventory, members, { insufficientCapacity: cache }));
    const lastAzId = spotAzIds.find(azId => !tried.includes(azId))!;
    expect(launchOrder(last.claims)).toEqual([`${lastAzId} spot`, `${lastAzId} on-demand`]);
  });

  it('waits for every gang member before launching any', () => {
    const gang = { name: 'partial', size: 3 };
    const members = [0, 1].map(i => gpuPod(`partial-${i}`, { gpus: 8, gang }));
    const decision = decide(decideInput(inventory, members));
    expect(decision.claims).toEqual([]);
    expect(decision.unschedulable.map(u => u.reason)).toEqual([
      'gang partial has 2 of its 3 members pending; it launches only when all are',
      'gang partial has 2 of its 3 members pending; it launches only when all are',
    ]);
  });

  it('reserves kubelet and system resources out of each type', () => {
    const p5 = inventory.instanceTypes.find(t => t.instanceType === 'p5.48xlarge')!;
    const allocatable = allocatableOf(p5);
    // 192 cores: 60 + 10 + 2×5 + 188×2.5 = 550 millicores; memory 11×110 + 255 + 100 MiB.
    expect(allocatable.cpuMillis).toBe(192_000 - 550);
    expect(allocatable.memoryMiB).toBe(2048 * 1024 - 1565);
    expect(allocatable).toMatchObject({ gpus: 8, efa: 32, neuron: 0 });
  });
});
