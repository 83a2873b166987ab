/**
 * Stable multi-key ordering in time linear in the number of items.
 *
 * A comparison sort over many keys costs n·log n comparisons, and each comparison of
 * rows that tie on the leading keys walks every key with `localeCompare`. On a large
 * estate most rows tie up to the account (the same zone, type and price repeat in every
 * account), so that cost grew faster than the estate. Here each key is first turned into
 * a small integer rank (only the distinct values are compared), then the items are
 * ordered by one counting-sort pass per key, least significant key first. Counting sort
 * is stable, so items that tie on every key keep their input order, as `Array.sort` does.
 */

/** Orders distinct values; returns < 0, 0 or > 0 like an `Array.sort` comparator. */
export type ValueComparator<V> = (a: V, b: V) => number;

/** Compares text the way `String.prototype.localeCompare` does. */
export const byLocale: ValueComparator<string> = (a, b) => a.localeCompare(b);

/** Compares numbers ascending; NaN sorts after every number and ties with itself. */
export const byNumber: ValueComparator<number> = (a, b) => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number(Number.isNaN(a)) - Number(Number.isNaN(b));
  return a === b ? 0 : a - b;
};

/** One sort key: the rank of each item's value, and how many ranks there are. */
export interface RankedKey {
  ranks: Int32Array;
  rankCount: number;
}

/**
 * Ranks each item's value among the distinct values: values the comparator calls equal
 * share a rank. Only the distinct values are sorted, which on an estate are the regions,
 * zones, accounts, types and prices, far fewer than the offerings.
 */
export function rankValues<T, V>(items: readonly T[], valueOf: (item: T) => V, compare: ValueComparator<V>): RankedKey {
  const distinct = new Map<V, number>();
  const values = new Array<V>(items.length);
  for (let i = 0; i < items.length; i++) {
    const value = valueOf(items[i]);
    values[i] = value;
    distinct.set(value, 0);
  }
  const ordered = [...distinct.keys()].sort(compare);
  let rank = -1;
  for (let i = 0; i < ordered.length; i++) {
    if (i === 0 || compare(ordered[i - 1], ordered[i]) !== 0) rank++;
    distinct.set(ordered[i], rank);
  }
  const ranks = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) ranks[i] = distinct.get(values[i])!;
  return { ranks, rankCount: rank + 1 };
}

/**
 * Returns the items ordered by the keys, most significant first; ties on every key keep
 * their input order. Cost: one pass per key over the items and over that key's ranks.
 */
export function orderByRanks<T>(items: readonly T[], keys: readonly RankedKey[]): T[] {
  let order = new Int32Array(items.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  let next = new Int32Array(items.length);
  for (let k = keys.length - 1; k >= 0; k--) {
    const { ranks, rankCount } = keys[k];
    const starts = new Int32Array(rankCount + 1);
    for (let i = 0; i < order.length; i++) starts[ranks[order[i]] + 1]++;
    for (let r = 0; r < rankCount; r++) starts[r + 1] += starts[r];
    for (let i = 0; i < order.length; i++) next[starts[ranks[order[i]]]++] = order[i];
    [order, next] = [next, order];
  }
  return Array.from(order, i => items[i]);
}
