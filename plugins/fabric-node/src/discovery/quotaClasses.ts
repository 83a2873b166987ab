import { CapacityType } from '@internal/backstage-plugin-fabric-common';

/**
 * EC2 vCPU quota that an instance family draws from, per capacity type, with its
 * Service Quotas code (docs/aws-facts.md §6). On-demand P quota covers P2–P6; spot splits P5
 * from the older P families.
 */
export interface QuotaClass {
  name: string;
  code: string;
}

const onDemand: Array<[RegExp, QuotaClass]> = [
  [/^p\d/, { name: 'Running On-Demand P instances', code: 'L-417A185B' }],
  [/^(g\d|vt\d)/, { name: 'Running On-Demand G and VT instances', code: 'L-DB2E81BA' }],
  [/^dl\d/, { name: 'Running On-Demand DL instances', code: 'L-6E869C2A' }],
  [/^trn\d/, { name: 'Running On-Demand Trn instances', code: 'L-2C3B7624' }],
  [/^inf\d/, { name: 'Running On-Demand Inf instances', code: 'L-1945791B' }],
];

const spot: Array<[RegExp, QuotaClass]> = [
  [/^p5/, { name: 'All P5 Spot Instance Requests', code: 'L-C4BD4855' }],
  [/^p[234]/, { name: 'All P4, P3 and P2 Spot Instance Requests', code: 'L-7212CCBC' }],
  [/^(g\d|vt\d)/, { name: 'All G and VT Spot Instance Requests', code: 'L-3819A6DF' }],
  [/^dl\d/, { name: 'All DL Spot Instance Requests', code: 'L-85EED4F7' }],
  [/^trn\d/, { name: 'All Trn Spot Instance Requests', code: 'L-6B0D517C' }],
  [/^inf\d/, { name: 'All Inf Spot Instance Requests', code: 'L-B5D1601B' }],
];

/**
 * The quota class a family draws from. Reserved capacity (ODCR) counts against the
 * on-demand quota; capacity blocks do not count at all, which callers handle.
 */
export function quotaClassOf(family: string, capacityType: CapacityType): QuotaClass | undefined {
  const table = capacityType === 'spot' ? spot : onDemand;
  return table.find(([pattern]) => pattern.test(family))?.[1];
}

/** Every quota code the fabric reads for the given families. */
export function quotaCodesFor(families: string[]): QuotaClass[] {
  const classes = new Map<string, QuotaClass>();
  for (const family of families) {
    for (const type of ['on-demand', 'spot'] as const) {
      const q = quotaClassOf(family, type);
      if (q) classes.set(q.code, q);
    }
  }
  return [...classes.values()];
}

/** `p5.48xlarge` → `p5`; `g6e.xlarge` → `g6e`. */
export function familyOf(instanceType: string): string {
  return instanceType.split('.')[0];
}
