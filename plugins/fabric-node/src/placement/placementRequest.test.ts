import { parsePlacementRequest } from '@internal/backstage-plugin-fabric-common';

// The schema lives in fabric-common (the backend answers 400 with it); tested here,
// next to the solver that relies on what it guarantees.
describe('parsePlacementRequest', () => {
  const valid = {
    entityRef: 'component:default/trainer',
    intent: 'tightly-coupled',
    gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 32 },
  };

  it('accepts a minimal request and fills the defaults that depend on the intent', () => {
    const result = parsePlacementRequest(valid);
    expect(result).toEqual({
      ok: true,
      request: { ...valid, spotPolicy: 'reserved-first', allowSpotForTightlyCoupled: false },
    });
    const throughput = parsePlacementRequest({ ...valid, intent: 'throughput' });
    expect(throughput.ok && throughput.request.spotPolicy).toBe('spot-first');
    const balanced = parsePlacementRequest({ ...valid, intent: 'balanced' });
    expect(balanced.ok && balanced.request.spotPolicy).toBe('spot-first');
    const explicit = parsePlacementRequest({ ...valid, intent: 'throughput', spotPolicy: 'on-demand-only' });
    expect(explicit.ok && explicit.request.spotPolicy).toBe('on-demand-only');
  });

  it('accepts every optional field', () => {
    const result = parsePlacementRequest({
      entityRef: 'component:ml/inference-api',
      intent: 'balanced',
      gpu: { minGpuMemoryGiB: 40, totalGpus: 16 },
      spotPolicy: 'spot-only',
      maxHourlyPrice: 120.5,
      allowedRegions: ['us-east-1', 'us-west-2'],
      deniedRegions: ['eu-west-1'],
      allowedAccounts: ['111111111111'],
      deniedAccounts: ['444444444444'],
      preferredRegion: 'us-west-2',
      minAzIds: 2,
      dataMovement: [{ gbPerDay: 500, region: 'us-west-2', azId: 'usw2-az1' }, { gbPerDay: 10, region: 'us-east-1' }],
    });
    expect(result.ok).toBe(true);
  });

  it.each([
    ['entityRef', { ...valid, entityRef: 'trainer' }, /kind:namespace\/name/],
    ['intent', { ...valid, intent: 'fast' }, /throughput, tightly-coupled, balanced/],
    ['gpu.totalGpus', { ...valid, gpu: { family: 'p5' } }, /is required/],
    ['gpu.totalGpus', { ...valid, gpu: { family: 'p5', totalGpus: 0 } }, /between 1 and 4096/],
    ['gpu.totalGpus', { ...valid, gpu: { family: 'p5', totalGpus: 5000 } }, /between 1 and 4096/],
    ['gpu.totalGpus', { ...valid, gpu: { family: 'p5', totalGpus: 2.5 } }, /whole number/],
    ['gpu', { ...valid, gpu: { totalGpus: 8 } }, /one of instanceTypes, family or minGpuMemoryGiB/],
    ['gpu', { ...valid, gpu: { family: 'p5', instanceTypes: ['p5.48xlarge'], totalGpus: 8 } }, /exactly one/],
    ['gpu.totalGpus', { ...valid, gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 12 } }, /multiple of gpusPerNode/],
    ['gpu.instanceTypes.0', { ...valid, gpu: { instanceTypes: ['P5 big'], totalGpus: 8 } }, /instance type/],
    ['spotPolicy', { ...valid, spotPolicy: 'cheap' }, /spot-only, spot-first/],
    ['spotPolicy', { ...valid, spotPolicy: 'spot-only' }, /allowSpotForTightlyCoupled/],
    ['maxHourlyPrice', { ...valid, maxHourlyPrice: -1 }, /positive/],
    ['allowedRegions.0', { ...valid, allowedRegions: ['us-east-1a'] }, /region name/],
    ['deniedAccounts.0', { ...valid, deniedAccounts: ['1234'] }, /12-digit/],
    ['preferredRegion', { ...valid, preferredRegion: 'us-east-1' }, /balanced intent only/],
    ['dataMovement.0.azId', { ...valid, dataMovement: [{ gbPerDay: 5, region: 'us-east-1', azId: 'us-east-1a' }] }, /AZ-ID/],
    ['dataMovement.0.gbPerDay', { ...valid, dataMovement: [{ region: 'us-east-1' }] }, /is required/],
    ['spotPolicies', { ...valid, spotPolicies: 'spot-first' }, /not a known field/],
    ['gpu.gpus', { ...valid, gpu: { family: 'p5', totalGpus: 8, gpus: 8 } }, /not a known field/],
    ['(request)', [], /JSON object/],
    ['deniedRegions', { ...valid, allowedRegions: ['us-east-1'], deniedRegions: ['us-east-1'] }, /every allowed region/],
  ] as Array<[string, unknown, RegExp]>)('names the field %s (case %#)', (path, input, message) => {
    const result = parsePlacementRequest(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it('never throws, whatever it is given', () => {
    for (const input of [undefined, null, 42, 'x', [], {}]) {
      const result = parsePlacementRequest(input);
      expect(result).toEqual({ ok: false, errors: expect.arrayContaining([expect.objectContaining({ path: expect.any(String) })]) });
    }
  });
});
