import type { CellRef } from '@internal/backstage-plugin-fabric-common';

/** `aws`, `aws-cn` or `aws-us-gov`: an ARN's partition follows the region. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** An EC2 resource ARN, for APIs (older SDK shapes, some endpoints) that return only the id. */
export function ec2Arn(cell: CellRef, resource: 'subnet' | 'security-group' | 'placement-group', name: string): string {
  return `arn:${partitionOf(cell.region)}:ec2:${cell.region}:${cell.accountId}:${resource}/${name}`;
}
