import { CellStatus, Inventory } from '@internal/backstage-plugin-fabric-common';
import { demoInstanceTypes } from '../../discovery/demo/instanceTypes';

export const NETWORK = '444444444444';
export const RESEARCH = '222222222222';
export const INFERENCE = '333333333333';

/** moto's (and one real account's) us-east-1 name → AZ-ID map. */
export const US_EAST_1_AZ_MAP = {
  'us-east-1a': 'use1-az6',
  'us-east-1b': 'use1-az1',
  'us-east-1c': 'use1-az2',
  'us-east-1d': 'use1-az4',
  'us-east-1e': 'use1-az3',
  'us-east-1f': 'use1-az5',
};

const cell = (accountId: string, region = 'us-east-1', azMap: Record<string, string> = US_EAST_1_AZ_MAP): CellStatus => ({
  accountId,
  accountName: accountId,
  region,
  fresh: true,
  azMap,
});

/** Three accounts in us-east-1 (network + two members) with the demo's instance types. */
export function islandInventory(): Pick<Inventory, 'cells' | 'instanceTypes'> {
  return {
    cells: [cell(NETWORK), cell(RESEARCH), cell(INFERENCE), cell(RESEARCH, 'us-west-2', { 'us-west-2a': 'usw2-az2' })],
    instanceTypes: demoInstanceTypes,
  };
}

/** A valid island: p5 for both members, a research Capacity Block and a shared p5e ODCR. */
export function islandSpec(overrides: Record<string, unknown> = {}) {
  return {
    id: 'train-a',
    region: 'us-east-1',
    azId: 'use1-az4',
    networkAccountId: NETWORK,
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidr: '10.80.0.0/16',
    subnetCidr: '10.80.16.0/20',
    memberAccountIds: [RESEARCH, INFERENCE],
    instanceTypes: ['p5.48xlarge', 'p5e.48xlarge'],
    capacityReservations: [
      { id: 'cr-0b10c4000000000a1', instanceType: 'p5.48xlarge', capacityBlock: true, accountId: RESEARCH },
      { id: 'cr-0dc40000000000b22', instanceType: 'p5e.48xlarge' },
    ],
    hub: { clusterName: 'fabric-hub', nodeRoleName: 'KarpenterNodeRole-fabric-hub' },
    ...overrides,
  };
}
