/* eslint-disable no-console */
// Measures the capacity query, the hot path of GET /capacity and of every portal view,
// on the demo estate (4 accounts) and on synthetic estates of 100 and 250 accounts, and
// prints how time grows against offerings. Linear scaling keeps the per-offering cost
// flat. `npm run bench [-- --quick]`. Figures, never assertions: the machines differ.
import { Inventory } from '@internal/backstage-plugin-fabric-common';
import { buildDemoInventory } from '../src/discovery';
import { queryCapacity, CapacityQuery } from '../src/capacity';
import { benchContext, describeMachine, median, quantile, TableRow, timeInRounds, writeResults } from './benchKit';

/**
 * An estate of `accountCount` accounts, each a copy of one demo account (taken in turn)
 * under a new account ID, with that account's cells and offerings.
 */
function estateOfAccounts(demo: Inventory, accountCount: number): Inventory {
  const demoAccounts = [...new Set(demo.cells.map(c => c.accountId))];
  const cells = [];
  const offerings = [];
  for (let k = 0; k < accountCount; k++) {
    const template = demoAccounts[k % demoAccounts.length];
    const accountId = `${template.slice(0, 9)}${String(Math.floor(k / demoAccounts.length)).padStart(3, '0')}`;
    cells.push(...demo.cells.filter(c => c.accountId === template).map(c => ({ ...c, accountId })));
    offerings.push(...demo.offerings.filter(o => o.accountId === template).map(o => ({ ...o, accountId })));
  }
  return { ...demo, cells, offerings };
}

const context = benchContext();
const demo = buildDemoInventory(new Date('2026-11-29T12:00:00Z'));
const demoAccountCount = new Set(demo.cells.map(c => c.accountId)).size;
const estates = [
  { name: `demo estate (${demoAccountCount} accounts)`, accounts: demoAccountCount, inventory: demo },
  ...[100, 250].map(accounts => ({
    name: `${accounts} accounts`,
    accounts,
    inventory: estateOfAccounts(demo, accounts),
  })),
];
const queries: Array<{ name: string; query: CapacityQuery }> = [
  { name: 'all capacity', query: {} },
  { name: 'tightly-coupled H100', query: { gpu: 'H100', efaOnly: true } },
];
const cases = queries.flatMap(q =>
  estates.map(e => ({
    label: `${e.name}, ${q.name}`,
    query: q,
    estate: e,
    run: () => queryCapacity(e.inventory, q.query),
  })),
);

const warmupRounds = context.quick ? 5 : 20;
const rounds = context.quick ? 21 : 101;
console.log(`capacity query, ${context.quick ? 'quick' : 'full'} mode: median of ${rounds} interleaved runs after ${warmupRounds} warm-up rounds`);
console.log(`machine: ${describeMachine(context.machine)}; commit ${context.commit}`);
const samples = timeInRounds(cases, warmupRounds, rounds);

const results = cases.map(c => {
  const times = samples.get(c.label)!;
  const anchor = cases.find(a => a.query === c.query && a.estate === estates[0])!;
  const msPerQuery = median(times);
  const anchorMs = median(samples.get(anchor.label)!);
  const offerings = c.estate.inventory.offerings.length;
  const offeringsRatio = offerings / anchor.estate.inventory.offerings.length;
  const timeRatio = msPerQuery / anchorMs;
  return {
    case: c.label,
    accounts: c.estate.accounts,
    offerings,
    rowsReturned: c.run().rows.length,
    msPerQuery,
    msP25: quantile(times, 0.25),
    msP75: quantile(times, 0.75),
    nsPerOffering: (msPerQuery * 1e6) / offerings,
    anchor: anchor.label,
    offeringsRatio,
    timeRatio,
    perOfferingRatio: timeRatio / offeringsRatio,
  };
});

console.log(
  `${'case'.padEnd(48)} ${'offerings'.padStart(9)} ${'ms/query'.padStart(9)} ${'p25–p75'.padStart(15)} ${'ns/offering'.padStart(11)}  vs demo: offerings  time  per offering`,
);
for (const r of results) {
  console.log(
    `${r.case.padEnd(48)} ${String(r.offerings).padStart(9)} ${r.msPerQuery.toFixed(3).padStart(9)} ${`${r.msP25.toFixed(2)}–${r.msP75.toFixed(2)}`.padStart(15)} ${r.nsPerOffering.toFixed(0).padStart(11)}  ${`${r.offeringsRatio.toFixed(1)}×`.padStart(18)} ${`${r.timeRatio.toFixed(1)}×`.padStart(6)} ${`${r.perOfferingRatio.toFixed(2)}×`.padStart(13)}`,
  );
}
console.log('Linear scaling keeps "per offering" near 1.00×; the goal is at most 30× the time for 25× the offerings.');

const table: TableRow[] = results.map(r => ({
  case: `capacity query, ${r.case}`,
  figure: `${r.offerings} offerings, ${r.msPerQuery.toFixed(2)} ms/query`,
  anchor: r.anchor === r.case ? '—' : `${r.anchor}`,
  ratio: r.anchor === r.case ? '1×' : `${r.timeRatio.toFixed(1)}× time for ${r.offeringsRatio.toFixed(1)}× offerings`,
}));
const path = writeResults(context, 'capacity', { rounds, warmupRounds, table, cases: results });
console.log(`results: ${path}`);
