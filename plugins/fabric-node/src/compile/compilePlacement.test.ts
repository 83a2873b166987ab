import { InstanceTypeInfo } from '@internal/backstage-plugin-fabric-common';
import { planPlacement } from '../placement';
import { request } from '../placement/__testUtils__/fixtures';
import { demoNow, demoPlacements } from './__testUtils__/demoPlacements';
import { compilePlacement } from './compilePlacement';
import { efaNetworkInterfaces } from './karpenter';

/** The demo estate's hub account: its cells are the hub Karpenter's, the others the fabric provisioner's. */
const HUB = '111111111111';
const options = { clusterName: 'fabric-hub', nodeRoleName: 'KarpenterNodeRole-fabric-hub', hubAccountId: HUB };
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('compilePlacement', () => {
  const { inventory, placements } = demoPlacements();
  const vcpus = (type: string) => inventory.instanceTypes.find(t => t.instanceType === type)!.vcpus;

  it.each(Object.keys(placements))('%s: one NodePool per chosen cell with its node class, named and labelled safely', intent => {
    const placement = placements[intent];
    const compiled = compilePlacement(placement, inventory, options);
    const cells = [...new Set(placement.chosen.map(c => `${c.accountId}.${c.region}`))].sort();
    expect(compiled.nodePools.map(p => p.metadata.labels!['fabric.cloudspectra.io/cell'])).toEqual(cells);
    // The hub account's cells get an EC2NodeClass, every other cell a FabricNodeClass, never both.
    const hubPools = compiled.nodePools.filter(p => p.metadata.labels!['fabric.cloudspectra.io/cell'].startsWith(`${HUB}.`));
    const memberPools = compiled.nodePools.filter(p => !hubPools.includes(p));
    expect(compiled.ec2NodeClasses.map(c => c.metadata.name)).toEqual(hubPools.map(p => p.metadata.name));
    expect(compiled.fabricNodeClasses.map(c => c.metadata.name)).toEqual(memberPools.map(p => p.metadata.name));
    for (const pool of compiled.nodePools) {
      expect(pool.metadata.name).toMatch(DNS_LABEL);
      expect(pool.metadata.name.length).toBeLessThanOrEqual(63);
      const cellValue = pool.metadata.labels!['fabric.cloudspectra.io/cell'];
      expect(pool.metadata.name).toBe(`fabric-${compiled.name}-${cellValue.replace('.', '-')}`);
      const hub = hubPools.includes(pool);
      expect(pool.spec.template.spec.nodeClassRef).toEqual(
        hub
          ? { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: pool.metadata.name }
          : { group: 'fabric.cloudspectra.io', kind: 'FabricNodeClass', name: pool.metadata.name },
      );
      // Fabric nodes start tainted until the provisioner has labelled them, with their pool.
      expect(pool.spec.template.spec.startupTaints).toEqual(
        hub ? undefined : [{ key: 'fabric.cloudspectra.io/unregistered', effect: 'NoSchedule' }],
      );
      expect(pool.spec.template.metadata!.labels!['fabric.cloudspectra.io/nodepool']).toBe(hub ? undefined : pool.metadata.name);
      for (const value of Object.values(pool.spec.template.metadata!.labels!)) expect(value).not.toContain('/');

      const cell = pool.metadata.labels!['fabric.cloudspectra.io/cell'];
      const members = placement.chosen.filter(c => `${c.accountId}.${c.region}` === cell);
      const requirement = (key: string) => pool.spec.template.spec.requirements.find(r => r.key === key)!.values;
      expect(requirement('topology.k8s.aws/zone-id')).toEqual([...new Set(members.map(c => c.azId))].sort());
      expect(requirement('karpenter.sh/capacity-type')).toEqual([...new Set(members.map(c => c.capacityType))].sort());
      expect(requirement('node.kubernetes.io/instance-type')).toEqual([...new Set(members.map(c => c.instanceType))].sort());
      expect(pool.spec.limits).toEqual({
        cpu: String(members.reduce((s, c) => s + c.nodes * vcpus(c.instanceType), 0)),
        'nvidia.com/gpu': String(members.reduce((s, c) => s + c.gpus, 0)),
      });
      expect(pool.spec.weight).toBe(Math.round(Math.max(...members.map(c => c.score))));
    }
    for (const nodeClass of compiled.ec2NodeClasses) {
      const cell = nodeClass.metadata.labels!['fabric.cloudspectra.io/cell'];
      expect(nodeClass.spec.role).toBe('KarpenterNodeRole-fabric-hub');
      expect(nodeClass.spec.amiSelectorTerms).toEqual([{ alias: 'al2023@latest' }]);
      expect(nodeClass.spec.subnetSelectorTerms[0].tags!['fabric.cloudspectra.io/cell']).toBe(cell);
      expect(nodeClass.spec.securityGroupSelectorTerms[0].tags!['fabric.cloudspectra.io/cell']).toBe(cell);
      expect(nodeClass.spec.tags).toMatchObject({ 'fabric.cloudspectra.io/cluster': 'fabric-hub' });
    }
    for (const nodeClass of compiled.fabricNodeClasses) {
      const cell = nodeClass.metadata.labels!['fabric.cloudspectra.io/cell'];
      const members = placement.chosen.filter(c => `${c.accountId}.${c.region}` === cell);
      expect(nodeClass.apiVersion).toBe('fabric.cloudspectra.io/v1alpha1');
      expect(nodeClass.spec).toMatchObject({
        accountId: members[0].accountId,
        region: members[0].region,
        azIds: [...new Set(members.map(c => c.azId))].sort(),
        role: 'KarpenterNodeRole-fabric-hub',
      });
      expect(nodeClass.spec.subnetSelectorTerms[0].tags!['fabric.cloudspectra.io/cell']).toBe(cell);
      expect(nodeClass.spec.securityGroupSelectorTerms[0].tags!['fabric.cloudspectra.io/cell']).toBe(cell);
      expect(nodeClass.spec.tags).toMatchObject({ 'fabric.cloudspectra.io/cluster': 'fabric-hub', 'fabric.cloudspectra.io/cell': cell });
    }
    // The same placement always compiles to the same objects.
    expect(compilePlacement(placement, inventory, options)).toEqual(compiled);
  });

  it('makes every cell a fabric cell when the hub account is unknown', () => {
    const { hubAccountId: _hub, ...withoutHub } = options;
    const compiled = compilePlacement(placements['tightly-coupled'], inventory, withoutHub);
    expect(compiled.ec2NodeClasses).toEqual([]);
    expect(compiled.fabricNodeClasses.map(c => c.spec.accountId)).toEqual(['111111111111', '222222222222']);
  });

  it('gives pods one affinity term per (cell, type, capacity type), best first', () => {
    const compiled = compilePlacement(placements.throughput, inventory, options);
    const terms = compiled.podScheduling.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms).toHaveLength(placements.throughput.chosen.length);
    expect(terms[0].matchExpressions).toEqual([
      { key: 'topology.k8s.aws/zone-id', operator: 'In', values: ['usw2-az1'] },
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
      { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['g6e.12xlarge'] },
      { key: 'fabric.cloudspectra.io/cell', operator: 'In', values: ['333333333333.us-west-2'] },
    ]);
    expect(compiled.podScheduling.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(compiled.podScheduling.topologySpreadConstraints).toEqual([
      expect.objectContaining({
        maxSkew: 1,
        topologyKey: 'topology.k8s.aws/zone-id',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { 'fabric.cloudspectra.io/placement': compiled.name } },
      }),
    ]);
    expect(compiled.podScheduling.schedulingGates).toBeUndefined();
    expect(compiled.nodePools[0].spec.disruption).toEqual({
      consolidationPolicy: 'WhenEmptyOrUnderutilized',
      consolidateAfter: '5m',
      budgets: [{ nodes: '10%' }],
    });
  });

  it('compiles a gang into an island: one AZ-ID, gate, EFA NICs, placement group, reservation', () => {
    const placement = placements['tightly-coupled'];
    const compiled = compilePlacement(placement, inventory, options);
    const scheduling = compiled.podScheduling;
    expect(scheduling.schedulingGates).toEqual([{ name: 'fabric.cloudspectra.io/gang' }]);
    expect(scheduling.nodeSelector).toEqual({
      'topology.k8s.aws/zone-id': 'use1-az4',
      'fabric.cloudspectra.io/island': 'use1-az4',
    });
    expect(scheduling.tolerations).toContainEqual({
      key: 'fabric.cloudspectra.io/island',
      operator: 'Equal',
      value: 'use1-az4',
      effect: 'NoSchedule',
    });
    expect(scheduling.topologySpreadConstraints).toBeUndefined();

    const [hub] = compiled.ec2NodeClasses;
    const [research] = compiled.fabricNodeClasses;
    expect(hub.metadata.labels!['fabric.cloudspectra.io/cell']).toBe('111111111111.us-east-1');
    expect(research.metadata.labels!['fabric.cloudspectra.io/cell']).toBe('222222222222.us-east-1');
    expect(hub.spec.capacityReservationSelectorTerms).toEqual([{ id: 'cr-0demo5b1ock00001' }]);
    expect(hub.spec.placementGroupSelector).toEqual({ name: 'fabric-island-use1-az4' });
    // p5.48xlarge: 32 cards, 32 EFA → ENA primary + EFA-only on card 0, then one per card.
    expect(hub.spec.networkInterfaces).toHaveLength(33);
    // The member account launches through the island's launch template, which carries
    // the EFA layout and the placement group.
    expect(research.spec).toMatchObject({ azIds: ['use1-az4'], launchTemplate: { name: 'fabric-island-use1-az4-p5.48xlarge' } });
    // Without the shared group's id the class cannot name the island: members resolve groups by id only.
    expect(research.spec.island).toBeUndefined();
    expect(research.spec.placementGroupId).toBeUndefined();
    for (const nodeClass of [...compiled.ec2NodeClasses, ...compiled.fabricNodeClasses]) {
      expect(nodeClass.spec.subnetSelectorTerms).toEqual([
        { tags: { 'fabric.cloudspectra.io/cell': nodeClass.metadata.labels!['fabric.cloudspectra.io/cell'], 'fabric.cloudspectra.io/island': 'use1-az4' } },
      ]);
    }
    for (const pool of compiled.nodePools) {
      expect(pool.spec.template.spec.taints).toEqual([
        { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' },
        { key: 'fabric.cloudspectra.io/island', value: 'use1-az4', effect: 'NoSchedule' },
      ]);
      expect(pool.spec.template.spec.expireAfter).toBe('Never');
      expect(pool.spec.disruption).toEqual({
        consolidationPolicy: 'WhenEmpty',
        consolidateAfter: '10m',
        budgets: [{ nodes: '0', reasons: ['Drifted', 'Underutilized'] }],
      });
    }
    expect(compiled.nodePools[0].spec.template.spec.requirements[1]).toEqual({
      key: 'karpenter.sh/capacity-type',
      operator: 'In',
      values: ['on-demand', 'reserved'],
    });
  });

  it('uses the placement group id member accounts need, and the given island id', () => {
    const compiled = compilePlacement(placements['tightly-coupled'], inventory, {
      ...options,
      island: { id: 'island-7', placementGroupId: 'pg-0123456789abcdef0' },
    });
    expect(compiled.ec2NodeClasses[0].spec.placementGroupSelector).toEqual({ id: 'pg-0123456789abcdef0' });
    expect(compiled.fabricNodeClasses[0].spec.placementGroupId).toBe('pg-0123456789abcdef0');
    expect(compiled.fabricNodeClasses[0].spec.island).toBe('island-7');
    expect(compiled.podScheduling.nodeSelector!['fabric.cloudspectra.io/island']).toBe('island-7');
  });

  it('names artifacts after the placement id when it has one', () => {
    const compiled = compilePlacement({ ...placements.balanced, id: '8F14E45F-CEEA-467A-9575-A6B5C3E4D2F1' }, inventory, options);
    expect(compiled.name).toBe('8f14e45fceea');
    expect(compiled.nodePools[0].metadata.name).toBe('fabric-8f14e45fceea-111111111111-us-west-2');
  });

  it('tolerates and limits Neuron devices for Trainium', () => {
    const placement = planPlacement(request({ intent: 'throughput', gpu: { family: 'trn1', totalGpus: 32 } }), inventory, { now: demoNow });
    const compiled = compilePlacement(placement, inventory, options);
    expect(compiled.podScheduling.tolerations).toEqual([{ key: 'aws.amazon.com/neuron', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(Object.keys(compiled.nodePools[0].spec.limits!)).toEqual(['cpu', 'aws.amazon.com/neuron']);
  });

  it('refuses to compile what was not placed', () => {
    const refused = planPlacement(request({ intent: 'tightly-coupled', minAzIds: 2, gpu: { family: 'p5', totalGpus: 8 } }), inventory);
    expect(() => compilePlacement(refused, inventory, options)).toThrow(/Only a placed placement compiles; this one is refused/);
  });
});

describe('efaNetworkInterfaces', () => {
  const type = (networkCards: number, maxEfaInterfaces: number) =>
    ({ instanceType: 'x.large', networkCards, maxEfaInterfaces } as InstanceTypeInfo);

  it('puts the ENA primary on card 0 and one EFA-only interface per EFA-capable card', () => {
    expect(efaNetworkInterfaces(type(4, 4))).toEqual([
      { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
      { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' },
      { networkCardIndex: 1, deviceIndex: 0, interfaceType: 'efa-only' },
      { networkCardIndex: 2, deviceIndex: 0, interfaceType: 'efa-only' },
      { networkCardIndex: 3, deviceIndex: 0, interfaceType: 'efa-only' },
    ]);
  });

  it('leaves card 0 ENA-only when the type has fewer EFA interfaces than cards (p6-b300: 17 cards, 16 EFA)', () => {
    const layout = efaNetworkInterfaces(type(17, 16));
    expect(layout).toHaveLength(17);
    expect(layout.filter(i => i.networkCardIndex === 0)).toEqual([{ networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' }]);
    expect(layout.filter(i => i.interfaceType === 'efa-only')).toHaveLength(16);
  });

  it('never exceeds the type\'s EFA maximum', () => {
    expect(efaNetworkInterfaces(type(8, 2)).filter(i => i.interfaceType === 'efa-only')).toHaveLength(2);
  });
});
