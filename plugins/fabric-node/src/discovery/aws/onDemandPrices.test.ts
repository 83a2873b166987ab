import { demoOnDemandPrices } from '../demo/instanceTypes';
import { onDemandListPrices } from './onDemandPrices';

describe('the built-in on-demand price table', () => {
  it('agrees with the demo estate wherever both know a type, so the portal tells one story', () => {
    for (const [instanceType, price] of Object.entries(demoOnDemandPrices)) {
      expect([instanceType, onDemandListPrices[instanceType]]).toEqual([instanceType, price]);
    }
  });

  it('holds only positive, finite prices', () => {
    for (const price of Object.values(onDemandListPrices)) {
      expect(Number.isFinite(price) && price > 0).toBe(true);
    }
  });
});
