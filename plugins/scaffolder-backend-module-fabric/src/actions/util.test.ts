import { azIdInRegion, inputHash, islandIdForPlacement, placementShortName, regionPrefix } from './util';

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
});

describe('inputHash', () => {
  it('ignores key order and undefined values, and changes with any value', () => {
    const a = inputHash({ entityRef: 'component:default/x', gpu: { family: 'p5', totalGpus: 8 }, azId: undefined });
    expect(inputHash({ gpu: { totalGpus: 8, family: 'p5' }, entityRef: 'component:default/x' })).toBe(a);
    expect(inputHash({ gpu: { totalGpus: 16, family: 'p5' }, entityRef: 'component:default/x' })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('names derived from a placement id', () => {
  const id = '6b1f3c2e-9a4d-4c1b-8e2f-0123456789ab';
  it('matches the names the fabric gives its artifacts and islands', () => {
    expect(placementShortName(id)).toBe('6b1f3c2e9a4d');
    expect(islandIdForPlacement(id)).toBe('6b1f3c2e-9a4d-4c1b-8e2f');
  });
});
