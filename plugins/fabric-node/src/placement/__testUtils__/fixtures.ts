import {
  CellStatus,
  InstanceTypeInfo,
  Inventory,
  Offering,
  parsePlacementRequest,
  PlacementRequest,
  PlacementRequestInput,
} from '@internal/backstage-plugin-fabric-common';

/** Parses a request the way the backend does, failing the test on invalid input. */
export function request(input: Partial<PlacementRequestInput> & Pick<PlacementRequestInput, 'intent' | 'gpu'>): PlacementRequest {
  const result = parsePlacementRequest({ entityRef: 'component:default/trainer', ...input });
  if (!result.ok) throw new Error(`invalid test request: ${JSON.stringify(result.errors)}`);
  return result.request;
}

export const h100: InstanceTypeInfo = {
  instanceType: 'p5.48xlarge',
  family: 'p5',
  vcpus: 192,
  memoryMiB: 2048 * 1024,
  acceleratorName: 'H100',
  acceleratorManufacturer: 'NVIDIA',
  acceleratorCount: 8,
  acceleratorMemoryMiB: 81920,
  efaSupported: true,
  maxEfaInterfaces: 32,
  networkCards: 32,
};

export const a10g: InstanceTypeInfo = {
  instanceType: 'g5.xlarge',
  family: 'g5',
  vcpus: 4,
  memoryMiB: 16 * 1024,
  acceleratorName: 'A10G',
  acceleratorManufacturer: 'NVIDIA',
  acceleratorCount: 1,
  acceleratorMemoryMiB: 24576,
  efaSupported: false,
  maxEfaInterfaces: 0,
  networkCards: 1,
};

export function cell(accountId: string, region: string, overrides: Partial<CellStatus> = {}): CellStatus {
  return {
    accountId,
    region,
    accountName: `acct-${accountId.slice(0, 3)}`,
    fresh: true,
    discoveredAt: '2026-01-01T00:00:00.000Z',
    azMap: {},
    ...overrides,
  };
}

export function offering(overrides: Partial<Offering> & Pick<Offering, 'accountId' | 'region' | 'azId'>): Offering {
  return {
    azName: `${overrides.region}a`,
    instanceType: 'g5.xlarge',
    capacityType: 'on-demand',
    pricePerHour: 1,
    quotaHeadroomInstances: 100,
    ...overrides,
  };
}

export function inventory(cells: CellStatus[], offerings: Offering[], types: InstanceTypeInfo[] = [h100, a10g]): Inventory {
  return { takenAt: '2026-01-01T00:00:00.000Z', source: 'demo', cells, instanceTypes: types, offerings };
}
