import { cellId } from '@internal/backstage-plugin-fabric-common';
import { demoAccounts, demoRegions } from '../estate';
import { planCidrs } from './cidr';
import type { MeshVpc } from './planMesh';

/**
 * One VPC per GPU cell of the demo estate, with CIDRs the planner allocates from a
 * supernet, so the portal can show a real mesh plan without AWS. Plan-only: the ids
 * name no real resource.
 */
export function demoMeshVpcs(): MeshVpc[] {
  const cells = demoAccounts
    .filter(a => a.role !== 'network')
    .flatMap(account => demoRegions.map(region => ({ accountId: account.id, region })));
  const { allocations } = planCidrs({
    supernet: '10.64.0.0/12',
    prefixLength: 16,
    existing: [],
    newCells: cells.map(cellId),
  });
  return cells.map((cell, i) => {
    const name = cellId(cell);
    const suffix = `${cell.accountId.slice(0, 4)}${cell.region.replace(/-/g, '')}`;
    return {
      cell: name,
      accountId: cell.accountId,
      region: cell.region,
      vpcId: `vpc-demo${suffix}`,
      cidr: allocations.find(a => a.cell === name)?.cidr ?? allocations[i].cidr,
      routeTableIds: [`rtb-demo${suffix}`],
    };
  });
}
