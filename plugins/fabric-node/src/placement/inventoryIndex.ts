import { CellStatus, InstanceTypeInfo, Inventory, Offering } from '@internal/backstage-plugin-fabric-common';
import { QuotaBucketRef, QuotaBudget, quotaBucketOf } from './quotaBudget';

/** An offering with everything about it that does not depend on the request. */
export interface IndexedOffering {
  offering: Offering;
  info: InstanceTypeInfo | undefined;
  cell: CellStatus | undefined;
  accountName: string;
  bucket: QuotaBucketRef | undefined;
  /** The bucket's position in `baseBudget` and its clones (see QuotaBudget.slotOf). */
  bucketSlot: number;
  /**
   * Position in the order of offering identity (region, AZ-ID, account, type, capacity
   * type, reservation), ties kept in inventory order, so the last step of every ranking
   * compares two numbers instead of six strings.
   */
  identityRank: number;
  /**
   * The same without the reservation: offerings equal here share the rank. Rejected
   * offerings are listed in this order (then by reason).
   */
  keyRank: number;
}

/**
 * What planning needs from an inventory that no request changes, built once per
 * inventory snapshot: a placement request is decided against the whole estate, and
 * rebuilding these per request was most of a decision's cost.
 */
export interface InventoryIndex {
  types: Map<string, InstanceTypeInfo>;
  /** Every offering, in inventory order. */
  offerings: IndexedOffering[];
  /** Offerings of each known instance type, in inventory order. */
  offeringsByType: Map<string, IndexedOffering[]>;
  /** Cells by account, then region. */
  sortedCells: CellStatus[];
  /** The quota headroom of the snapshot; clone it before drawing it down. */
  baseBudget: QuotaBudget;
}

// An inventory is a snapshot: discovery builds a new object for every scan and nothing
// changes one after it is handed out. Keyed weakly, so an index goes when its snapshot does.
const indexes = new WeakMap<Inventory, InventoryIndex>();

export function indexInventory(inventory: Inventory): InventoryIndex {
  let index = indexes.get(inventory);
  // The arrays are compared too, so an inventory whose lists were replaced is indexed again.
  if (!index || !describesSameLists(index, inventory)) {
    index = buildIndex(inventory);
    indexes.set(inventory, index);
  }
  return index;
}

const listsOf = new WeakMap<InventoryIndex, { offerings: Offering[]; cells: CellStatus[]; types: InstanceTypeInfo[] }>();

function describesSameLists(index: InventoryIndex, inventory: Inventory): boolean {
  const lists = listsOf.get(index);
  return (
    !!lists &&
    lists.offerings === inventory.offerings &&
    lists.cells === inventory.cells &&
    lists.types === inventory.instanceTypes &&
    index.offerings.length === inventory.offerings.length
  );
}

function buildIndex(inventory: Inventory): InventoryIndex {
  const types = new Map(inventory.instanceTypes.map(t => [t.instanceType, t]));
  const cells = new Map(inventory.cells.map(c => [`${c.accountId}|${c.region}`, c]));
  const baseBudget = QuotaBudget.fromInventory(inventory, types);
  const offerings: IndexedOffering[] = inventory.offerings.map(offering => {
    const info = types.get(offering.instanceType);
    const cell = cells.get(`${offering.accountId}|${offering.region}`);
    const bucket = info && quotaBucketOf(offering, info);
    return {
      offering,
      info,
      cell,
      accountName: cell?.accountName ?? offering.accountId,
      bucket,
      bucketSlot: baseBudget.slotOf(bucket),
      identityRank: 0,
      keyRank: 0,
    };
  });

  const byKey = offerings.map((entry, position) => ({ entry, position }));
  byKey.sort((a, b) => compareKeys(a.entry.offering, b.entry.offering) || reservationOrder(a, b) || a.position - b.position);
  byKey.forEach(({ entry }, i) => {
    entry.identityRank = i;
    const previous = i > 0 ? byKey[i - 1].entry : undefined;
    entry.keyRank = previous && compareKeys(previous.offering, entry.offering) === 0 ? previous.keyRank : i;
  });

  const sortedCells = [...inventory.cells].sort(
    (a, b) => compareStrings(a.accountId, b.accountId) || compareStrings(a.region, b.region),
  );
  const offeringsByType = new Map<string, IndexedOffering[]>();
  for (const entry of offerings) {
    if (!entry.info) continue;
    const list = offeringsByType.get(entry.offering.instanceType);
    if (list) list.push(entry);
    else offeringsByType.set(entry.offering.instanceType, [entry]);
  }
  const index = { types, offerings, offeringsByType, sortedCells, baseBudget };
  listsOf.set(index, { offerings: inventory.offerings, cells: inventory.cells, types: inventory.instanceTypes });
  return index;
}

function reservationOrder(a: { entry: IndexedOffering }, b: { entry: IndexedOffering }): number {
  return compareStrings(a.entry.offering.reservationId ?? '', b.entry.offering.reservationId ?? '');
}

/** The key fields a rejected offering is listed by. */
function compareKeys(a: Offering, b: Offering): number {
  return (
    compareStrings(a.region, b.region) ||
    compareStrings(a.azId, b.azId) ||
    compareStrings(a.accountId, b.accountId) ||
    compareStrings(a.instanceType, b.instanceType) ||
    compareStrings(a.capacityType, b.capacityType)
  );
}

/** Code-point order: unlike localeCompare, the same on every machine and locale. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
