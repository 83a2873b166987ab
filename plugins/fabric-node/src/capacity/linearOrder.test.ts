import { byLocale, byNumber, orderByRanks, rankValues } from './linearOrder';

/** A small deterministic generator, so a failure reproduces. */
function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

interface Item {
  id: number;
  zone: string;
  price: number;
  account: string;
}

describe('orderByRanks', () => {
  it('orders like a stable comparison sort over the same keys', () => {
    const random = seeded(12);
    const zones = ['use1-az4', 'use1-az1', 'usw2-az2', 'euw1-az3', 'Use1-az1'];
    const items: Item[] = Array.from({ length: 3000 }, (_, id) => ({
      id,
      zone: zones[Math.floor(random() * zones.length)],
      price: Math.floor(random() * 8) / 4,
      account: String(100000000000 + Math.floor(random() * 40)),
    }));
    const expected = [...items].sort(
      (a, b) => a.zone.localeCompare(b.zone) || a.price - b.price || a.account.localeCompare(b.account),
    );
    const ordered = orderByRanks(items, [
      rankValues(items, i => i.zone, byLocale),
      rankValues(items, i => i.price, byNumber),
      rankValues(items, i => i.account, byLocale),
    ]);
    expect(ordered.map(i => i.id)).toEqual(expected.map(i => i.id));
  });

  it('keeps the input order of items that tie on every key', () => {
    const items = [{ id: 0, key: 'b' }, { id: 1, key: 'a' }, { id: 2, key: 'b' }, { id: 3, key: 'a' }];
    expect(orderByRanks(items, [rankValues(items, i => i.key, byLocale)]).map(i => i.id)).toEqual([1, 3, 0, 2]);
  });
});

describe('rankValues', () => {
  it('gives equal values one rank and counts only distinct ones', () => {
    const { ranks, rankCount } = rankValues([3, 1, 3, 2, NaN], v => v, byNumber);
    expect(Array.from(ranks)).toEqual([2, 0, 2, 1, 3]);
    expect(rankCount).toBe(4);
  });
});
