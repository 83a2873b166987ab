import { demoAccounts, demoRegions } from '../../estate/demoEstate';
import { buildDemoInventory, demoAzMap } from './demoEstate';

describe('the demo estate', () => {
  const inventory = buildDemoInventory(new Date('2026-11-29T12:00:00Z'));

  it('spans at least three accounts in three regions and says it is a demo', () => {
    expect(inventory.source).toBe('demo');
    expect(new Set(inventory.cells.map(c => c.accountId)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(inventory.cells.map(c => c.region)).size).toBeGreaterThanOrEqual(3);
    expect(inventory.cells).toHaveLength(demoAccounts.length * demoRegions.length);
  });

  it('maps the same AZ name to different AZ-IDs in different accounts, as older accounts do', () => {
    for (const region of demoRegions) {
      const ids = new Set(demoAccounts.map(a => demoAzMap(a.id, region)[`${region}a`]));
      expect(ids.size).toBeGreaterThan(1);
    }
  });

  it("records each offering's AZ name as its own account sees it", () => {
    for (const offering of inventory.offerings) {
      expect(demoAzMap(offering.accountId, offering.region)[offering.azName]).toBe(offering.azId);
    }
  });

  it('covers the GPU families of interest with spot cheaper than on-demand', () => {
    const types = new Set(inventory.offerings.map(o => o.instanceType.split('.')[0]));
    for (const family of ['p5', 'p5e', 'p5en', 'p4d', 'p4de', 'g5', 'g6', 'g6e', 'trn1']) {
      expect(types).toContain(family);
    }
    const byKey = new Map(
      inventory.offerings
        .filter(o => o.capacityType === 'on-demand')
        .map(o => [`${o.accountId}|${o.azId}|${o.instanceType}`, o.pricePerHour]),
    );
    for (const spot of inventory.offerings.filter(o => o.capacityType === 'spot')) {
      expect(spot.pricePerHour).toBeLessThan(byKey.get(`${spot.accountId}|${spot.azId}|${spot.instanceType}`)!);
    }
  });

  it('has quota walls and a stale cell with its error', () => {
    const walled = inventory.offerings.filter(o => o.quotaHeadroomInstances === 0);
    expect(walled.length).toBeGreaterThan(0);
    const stale = inventory.cells.filter(c => !c.fresh);
    expect(stale).toHaveLength(1);
    expect(stale[0].error).toMatch(/AccessDenied/);
    expect(inventory.offerings.some(o => o.accountId === stale[0].accountId && o.region === stale[0].region)).toBe(false);
  });

  it('is stable for the same clock', () => {
    expect(buildDemoInventory(new Date('2026-11-29T12:00:00Z'))).toEqual(inventory);
  });
});
