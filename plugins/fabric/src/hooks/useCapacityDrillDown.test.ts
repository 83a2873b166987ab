import { estateCapacityFor } from '../__testUtils__/fixtures';
import { zoneRowsOf } from './useCapacityDrillDown';

describe('zoneRowsOf', () => {
  it('lists each AZ-ID with what each account calls it and the cheapest prices within quota', () => {
    expect(zoneRowsOf(estateCapacityFor({ region: 'us-east-1', gpu: 'H100' }))).toEqual([
      {
        id: 'use1-az4',
        azId: 'use1-az4',
        gpus: 96,
        names: 'ml-platform-hub: us-east-1c · ml-research: us-east-1b',
        // ml-research's cheaper spot offer has no quota headroom, so it is not the cheapest.
        cheapestSpot: 20.53 / 8,
        cheapestOnDemand: 55.04 / 8,
      },
    ]);
  });

  it("takes the GPUs and the local names from the API's per-zone sums", () => {
    const slice = estateCapacityFor({ region: 'us-east-1', gpu: 'L4' });
    const [zone] = zoneRowsOf({
      ...slice,
      byAzId: [
        {
          region: 'us-east-1',
          azId: 'use1-az2',
          gpus: 40,
          azNames: [
            { accountId: '111111111111', accountName: 'ml-platform-hub', azName: 'us-east-1a' },
            { accountId: '222222222222', accountName: 'ml-research', azName: 'us-east-1f' },
          ],
        },
      ],
    });
    expect(zone).toMatchObject({
      azId: 'use1-az2',
      gpus: 40,
      names: 'ml-platform-hub: us-east-1a · ml-research: us-east-1f',
      cheapestSpot: 0.31,
      cheapestOnDemand: 0.8,
    });
  });
});
