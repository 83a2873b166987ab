/* eslint-disable no-console */
// Measures the capacity query, the hot path of GET /capacity and of every portal view,
// on the demo estate and on a synthetic estate 25× larger, and prints the ratios.
// Run with `npm run bench`. Figures, not assertions: the machines differ.
import { Inventory } from '@internal/backstage-plugin-fabric-common';
import { buildDemoInventory } from '../src/discovery';
import { queryCapacity, CapacityQuery } from '../src/capacity';

function scaled(base: Inventory, factor: number): Inventory {
  const cells = [];
  const offerings = [];
  for (let i = 0; i < factor; i++) {
    const suffix = String(i).padStart(3, '0');
    const id = (accountId: string) => `${accountId.slice(0, 9)}${suffix}`;
    cells.push(...base.cells.map(c => ({ ...c, accountId: id(c.accountId) })));
    offerings.push(...base.offerings.map(o => ({ ...o, accountId: id(o.accountId) })));
  }
  return { ...base, cells, offerings };
}

function measure(label: string, inventory: Inventory, query: CapacityQuery, minMillis = 1500) {
  for (let i = 0; i < 20; i++) queryCapacity(inventory, query); // warm-up
  let runs = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMillis) {
    queryCapacity(inventory, query);
    runs++;
    elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  }
  const perQuery = elapsed / runs;
  const perOffering = (perQuery * 1e6) / inventory.offerings.length;
  console.log(
    `${label.padEnd(44)} ${String(inventory.offerings.length).padStart(6)} offerings  ${perQuery.toFixed(3).padStart(8)} ms/query  ${perOffering.toFixed(0).padStart(5)} ns/offering  ${runs} runs`,
  );
  return { perQuery, perOffering };
}

const demo = buildDemoInventory(new Date('2026-11-29T12:00:00Z'));
const large = scaled(demo, 25);
const tightlyCoupled: CapacityQuery = { gpu: 'H100', efaOnly: true };

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
const a = measure('demo estate, all capacity', demo, {});
const b = measure('demo estate, tightly-coupled H100', demo, tightlyCoupled);
const c = measure('25× estate (100 accounts), all capacity', large, {});
const d = measure('25× estate (100 accounts), tightly-coupled H100', large, tightlyCoupled);
console.log(`ratio 25× / demo, all capacity:        ${(c.perQuery / a.perQuery).toFixed(1)}× time for 25× offerings (per offering ${(c.perOffering / a.perOffering).toFixed(2)}×)`);
console.log(`ratio 25× / demo, tightly-coupled H100: ${(d.perQuery / b.perQuery).toFixed(1)}× time for 25× offerings`);
