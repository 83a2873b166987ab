import {
  ACCOUNT_ID_PATTERN,
  AZ_ID_PATTERN,
  ENTITY_REF_PATTERN,
  INSTANCE_FAMILY_PATTERN,
  INSTANCE_TYPE_PATTERN,
  MESH_ENDPOINT_PATTERN,
  REGION_PATTERN,
} from '@internal/backstage-plugin-fabric-common';
import { createFabricActions } from './fabricActions';
import { FabricApiClient } from './FabricApiClient';

// The JSON schema each action publishes (the template editor and the scaffolder's input
// validation read it) carries fabric-common's patterns, so a template field accepts
// exactly what the fabric's REST API accepts.
describe('published input schemas', () => {
  const actions = new Map(createFabricActions({ client: {} as FabricApiClient }).map(a => [a.id, a]));
  const properties = (id: string): Record<string, any> => (actions.get(id)!.schema!.input as any).properties;

  it('registers every fabric action once', () => {
    expect([...actions.keys()].sort()).toEqual([
      'fabric:capacity:query',
      'fabric:island:create',
      'fabric:manifests:render',
      'fabric:mesh:apply',
      'fabric:placement:request',
      'fabric:workload:register',
    ]);
  });

  it('gives each identifier field the one pattern of that identifier, with its description', () => {
    const capacity = properties('fabric:capacity:query');
    expect(capacity.azId).toMatchObject({ pattern: AZ_ID_PATTERN.source, description: expect.stringContaining('AZ-ID') });
    expect(capacity.region.pattern).toBe(REGION_PATTERN.source);
    expect(capacity.intent.enum).toEqual(['throughput', 'tightly-coupled', 'balanced']);

    const placement = properties('fabric:placement:request');
    expect(placement.entityRef.pattern).toBe(ENTITY_REF_PATTERN.source);
    expect(placement.gpu.properties.instanceTypes.items.pattern).toBe(INSTANCE_TYPE_PATTERN.source);
    expect(placement.gpu.properties.family.pattern).toBe(INSTANCE_FAMILY_PATTERN.source);
    expect(placement.allowedRegions.items.pattern).toBe(REGION_PATTERN.source);
    expect(placement.preferredRegion.pattern).toBe(REGION_PATTERN.source);
    expect(placement.azId.pattern).toBe(AZ_ID_PATTERN.source);

    const island = properties('fabric:island:create');
    expect(island.azId.pattern).toBe(AZ_ID_PATTERN.source);
    expect(island.region.pattern).toBe(REGION_PATTERN.source);
    expect(island.networkAccountId).toMatchObject({ pattern: ACCOUNT_ID_PATTERN.source, description: expect.any(String) });
    expect(island.memberAccountIds.items.pattern).toBe(ACCOUNT_ID_PATTERN.source);
    expect(island.instanceTypes.items.pattern).toBe(INSTANCE_TYPE_PATTERN.source);

    const traffic = properties('fabric:mesh:apply').traffic.items.properties;
    expect(traffic.from.pattern).toBe(MESH_ENDPOINT_PATTERN.source);
    expect(traffic.to.pattern).toBe(MESH_ENDPOINT_PATTERN.source);
  });
});
