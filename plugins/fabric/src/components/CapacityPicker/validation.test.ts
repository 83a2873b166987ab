import { ApiHolder, ApiRef } from '@backstage/core-plugin-api';
import { CapacityResponse } from '@internal/backstage-plugin-fabric-common';
import { FabricApi, fabricApiRef } from '../../api/FabricApi';
import { capacityRow, h100EfaCapacity, staleCell, TAKEN_AT } from '../../__testUtils__/fixtures';
import {
  capacityChoices,
  capacityFilterFor,
  checkCapacityChoice,
  needFromForm,
} from './capacityChoices';
import { fabricCapacityPickerValidation } from './validation';

/** us-east-1 with 8 on-demand H100 GPUs in each of two AZ-IDs: 16 in the region, 8 per zone. */
const twoZones: CapacityResponse = {
  source: 'demo',
  takenAt: TAKEN_AT,
  staleCells: [staleCell],
  byRegionAndGpu: [],
  byAzId: [],
  rows: [
    capacityRow('hub', 'us-east-1', 'use1-az2', 'us-east-1a', 'p5.48xlarge', 'on-demand', 55.04, 1),
    capacityRow('hub', 'us-east-1', 'use1-az4', 'us-east-1c', 'p5.48xlarge', 'on-demand', 55.04, 1),
    // A stale cell's offerings are never placed on, so they do not count.
    capacityRow('inference', 'eu-west-1', 'euw1-az1', 'eu-west-1a', 'p5.48xlarge', 'on-demand', 55.04, 50),
  ],
};

type Validation = Parameters<typeof fabricCapacityPickerValidation>[1];

async function validate(
  value: { region?: string; azId?: string } | undefined,
  formData: Record<string, unknown>,
  api: Partial<FabricApi> | undefined,
): Promise<string[]> {
  const errors: string[] = [];
  const validation = { addError: (message: string) => errors.push(message) } as unknown as Validation;
  const apiHolder: ApiHolder = {
    get: <T>(ref: ApiRef<T>) => (ref.id === fabricApiRef.id ? (api as T | undefined) : undefined),
  };
  await fabricCapacityPickerValidation(value as any, validation, { apiHolder, formData: formData as any, schema: {} });
  return errors;
}

describe('capacity choices', () => {
  it('reads the need from the rest of the form', () => {
    expect(needFromForm({ intent: 'tightly-coupled', gpu: ' H100 ', totalGpus: 16, other: 'x' })).toEqual({
      intent: 'tightly-coupled',
      gpu: 'H100',
      totalGpus: 16,
    });
    expect(needFromForm({ intent: 'burst', gpu: '', totalGpus: '8' })).toEqual({ totalGpus: 8 });
    expect(needFromForm({ totalGpus: 0 })).toEqual({});
    expect(needFromForm(undefined)).toEqual({});
  });

  it('asks for a GPU by name, an instance family or type by family', () => {
    expect(capacityFilterFor({ intent: 'throughput', gpu: 'H100' })).toEqual({ intent: 'throughput', gpu: 'H100' });
    expect(capacityFilterFor({ gpu: 'L4' })).toEqual({ gpu: 'L4' });
    expect(capacityFilterFor({ gpu: 'a10g' })).toEqual({ gpu: 'a10g' });
    expect(capacityFilterFor({ gpu: 'p5' })).toEqual({ family: 'p5' });
    expect(capacityFilterFor({ gpu: 'g6e' })).toEqual({ family: 'g6e' });
    expect(capacityFilterFor({ gpu: 'p5.48xlarge' })).toEqual({ family: 'p5' });
    expect(capacityFilterFor({})).toEqual({});
  });

  it('counts a gang on one type, without spot, per AZ-ID; other intents count everything within quota', () => {
    const gang = capacityChoices(h100EfaCapacity, 'tightly-coupled');
    expect(gang).toEqual([
      {
        region: 'us-east-1',
        gpus: 128,
        cheapestPerGpuHour: 31.464 / 8,
        zones: [
          {
            region: 'us-east-1',
            azId: 'use1-az4',
            localNames: 'ml-platform-hub: us-east-1c · ml-research: us-east-1b',
            // 4 reserved + 8 + 4 on-demand nodes of 8 GPUs; spot is left out for a gang.
            gpus: 128,
            cheapestPerGpuHour: 31.464 / 8,
          },
        ],
      },
      {
        region: 'us-west-2',
        gpus: 0,
        cheapestPerGpuHour: undefined,
        zones: [
          { region: 'us-west-2', azId: 'usw2-az2', localNames: 'ml-inference: us-west-2c', gpus: 0, cheapestPerGpuHour: undefined },
        ],
      },
    ]);
    const spread = capacityChoices(h100EfaCapacity, 'throughput');
    expect(spread.map(r => [r.region, r.gpus, r.cheapestPerGpuHour])).toEqual([
      ['us-east-1', 160, 20.53 / 8],
      ['us-west-2', 16, 18.92 / 8],
    ]);
  });

  it('leaves out the offerings of stale cells', () => {
    const choices = capacityChoices(twoZones, 'throughput');
    expect(choices.find(c => c.region === 'eu-west-1')?.gpus).toBe(0);
    expect(choices.find(c => c.region === 'us-east-1')?.gpus).toBe(16);
  });

  it('accepts a choice that holds the whole need, and no choice at all', () => {
    const need = { intent: 'tightly-coupled' as const, gpu: 'H100', totalGpus: 16 };
    expect(checkCapacityChoice({ region: 'us-east-1', azId: 'use1-az4' }, need, h100EfaCapacity)).toBeUndefined();
    expect(checkCapacityChoice({ region: 'us-east-1' }, need, h100EfaCapacity)).toBeUndefined();
    expect(checkCapacityChoice(undefined, need, h100EfaCapacity)).toBeUndefined();
    expect(checkCapacityChoice({}, need, h100EfaCapacity)).toBeUndefined();
  });

  it('refuses a gang whose AZ-ID is too small even when its region would hold it', () => {
    const gang = { intent: 'tightly-coupled' as const, gpu: 'H100', totalGpus: 16 };
    expect(checkCapacityChoice({ region: 'us-east-1', azId: 'use1-az2' }, gang, twoZones)).toBe(
      'use1-az2 has 8 H100 GPUs within quota for tightly-coupled work; the workload asks for 16 (a tightly-coupled gang must fit in this one AZ-ID)',
    );
    expect(checkCapacityChoice({ region: 'us-east-1' }, gang, twoZones)).toBe(
      'No AZ-ID in us-east-1 holds 16 H100 GPUs for a tightly-coupled gang, which must fit in one AZ-ID; the most in one is 8 (use1-az2)',
    );
    // Throughput work spreads over the region's AZ-IDs, so the region holds it.
    expect(checkCapacityChoice({ region: 'us-east-1' }, { ...gang, intent: 'throughput' }, twoZones)).toBeUndefined();
    expect(checkCapacityChoice({ region: 'us-east-1' }, { ...gang, intent: 'throughput', totalGpus: 24 }, twoZones)).toBe(
      'us-east-1 has 16 H100 GPUs within quota for throughput work; the workload asks for 24',
    );
  });

  it('refuses an AZ-ID of another region or one without offerings', () => {
    const need = { intent: 'balanced' as const, gpu: 'H100', totalGpus: 8 };
    expect(checkCapacityChoice({ region: 'us-west-2', azId: 'use1-az4' }, need, h100EfaCapacity)).toBe(
      'use1-az4 is an AZ-ID of us-east-1, not of us-west-2',
    );
    expect(checkCapacityChoice({ region: 'us-east-1', azId: 'use1-az9' }, need, h100EfaCapacity)).toBe(
      'use1-az9 has no H100 offerings in us-east-1; choose an AZ-ID from the list',
    );
    expect(checkCapacityChoice({ region: 'ap-south-1' }, need, h100EfaCapacity)).toBe(
      'ap-south-1 has no H100 offerings; choose a region from the list',
    );
    expect(checkCapacityChoice({ azId: 'use1-az4' }, need, h100EfaCapacity)).toBe(
      'Choose the region of use1-az4 (us-east-1) as well',
    );
  });

  it('says the spot-only zone holds nothing for a gang', () => {
    expect(
      checkCapacityChoice(
        { region: 'us-west-2', azId: 'usw2-az2' },
        { intent: 'tightly-coupled', gpu: 'H100', totalGpus: 16 },
        h100EfaCapacity,
      ),
    ).toBe(
      'usw2-az2 has 0 H100 GPUs within quota for tightly-coupled work; the workload asks for 16 (a tightly-coupled gang must fit in this one AZ-ID)',
    );
  });
});

describe('fabricCapacityPickerValidation', () => {
  it('checks the choice against live capacity for the form\'s intent, GPU and size', async () => {
    const api = { capacity: jest.fn().mockResolvedValue(twoZones) };
    const errors = await validate(
      { region: 'us-east-1', azId: 'use1-az2' },
      { intent: 'tightly-coupled', gpu: 'H100', totalGpus: 16 },
      api,
    );
    expect(api.capacity).toHaveBeenCalledWith({ intent: 'tightly-coupled', gpu: 'H100' });
    expect(errors).toEqual([
      'use1-az2 has 8 H100 GPUs within quota for tightly-coupled work; the workload asks for 16 (a tightly-coupled gang must fit in this one AZ-ID)',
    ]);
  });

  it('passes a choice that fits', async () => {
    const api = { capacity: jest.fn().mockResolvedValue(h100EfaCapacity) };
    expect(
      await validate({ region: 'us-east-1', azId: 'use1-az4' }, { intent: 'tightly-coupled', gpu: 'p5', totalGpus: 16 }, api),
    ).toEqual([]);
    expect(api.capacity).toHaveBeenCalledWith({ intent: 'tightly-coupled', family: 'p5' });
  });

  it('does not query when nothing is chosen', async () => {
    const api = { capacity: jest.fn() };
    expect(await validate(undefined, { intent: 'throughput' }, api)).toEqual([]);
    expect(await validate({}, { intent: 'throughput' }, api)).toEqual([]);
    expect(api.capacity).not.toHaveBeenCalled();
  });

  it('says when capacity cannot be checked', async () => {
    const api = { capacity: jest.fn().mockRejectedValue(new Error('Request failed with 503 Service Unavailable')) };
    expect(await validate({ region: 'us-east-1' }, { intent: 'throughput' }, api)).toEqual([
      'Capacity could not be checked: Request failed with 503 Service Unavailable',
    ]);
    expect(await validate({ region: 'us-east-1' }, {}, undefined)).toEqual([
      'Capacity cannot be checked: the fabric API is not available',
    ]);
  });
});
