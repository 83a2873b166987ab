import {
  azIdInRegion,
  checkpointKey,
  inputHash,
  islandIdForPlacement,
  outputAll,
  placementShortName,
  regionPrefix,
  requireAzIdInRegion,
} from './util';

describe('regionPrefix / azIdInRegion', () => {
  it.each([
    ['us-east-1', 'use1'],
    ['us-west-2', 'usw2'],
    ['eu-west-1', 'euw1'],
    ['eu-central-1', 'euc1'],
    ['ap-northeast-1', 'apne1'],
    ['ap-southeast-5', 'apse5'],
    ['ca-central-1', 'cac1'],
    ['sa-east-1', 'sae1'],
    ['us-gov-west-1', 'usgw1'],
  ])('%s → %s', (region, prefix) => {
    expect(regionPrefix(region)).toBe(prefix);
    expect(azIdInRegion(`${prefix}-az1`, region)).toBe(true);
  });

  it('does not take an AZ-ID of a neighbouring region', () => {
    expect(azIdInRegion('use1-az4', 'us-east-2')).toBe(false);
    expect(azIdInRegion('use12-az4', 'us-east-1')).toBe(false);
    expect(azIdInRegion('apne1-az1', 'ap-northeast-12')).toBe(false);
  });

  it('refuses an AZ-ID of another region by name', () => {
    expect(() => requireAzIdInRegion('use1-az4', 'us-east-1')).not.toThrow();
    expect(() => requireAzIdInRegion('use1-az4', 'us-west-2')).toThrow('azId use1-az4 is not in region us-west-2');
  });
});

describe('inputHash', () => {
  it('ignores key order and undefined values, and changes with any value', () => {
    const a = inputHash({ entityRef: 'component:default/x', gpu: { family: 'p5', totalGpus: 8 }, azId: undefined });
    expect(inputHash({ gpu: { totalGpus: 8, family: 'p5' }, entityRef: 'component:default/x' })).toBe(a);
    expect(inputHash({ gpu: { totalGpus: 16, family: 'p5' }, entityRef: 'component:default/x' })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('checkpointKey', () => {
  // A task that was running when the backend restarted resumes from checkpoints stored
  // under these keys, so their form must not change.
  it('is fabric.<step>.<task id>.<input hash>', () => {
    const input = { traffic: [{ from: 'a', to: 'b', gbPerMonth: 1 }] };
    expect(checkpointKey('mesh.plan', 'task-1', input)).toBe('fabric.mesh.plan.task-1.5b8a29cab308c669');
  });
});

describe('outputAll', () => {
  it('sets each defined value as an output, in order, and skips undefined ones', () => {
    const output = jest.fn();
    outputAll<{ planId: string; steps: number; yaml: string; applied: boolean }>(
      { output },
      { planId: 'p', steps: 0, yaml: undefined, applied: false },
    );
    expect(output.mock.calls).toEqual([
      ['planId', 'p'],
      ['steps', 0],
      ['applied', false],
    ]);
  });
});

describe('names derived from a placement id', () => {
  const id = '6b1f3c2e-9a4d-4c1b-8e2f-0123456789ab';
  it('matches the names the fabric gives its artifacts and islands', () => {
    expect(placementShortName(id)).toBe('6b1f3c2e9a4d');
    expect(islandIdForPlacement(id)).toBe('6b1f3c2e-9a4d-4c1b-8e2f');
  });
});
