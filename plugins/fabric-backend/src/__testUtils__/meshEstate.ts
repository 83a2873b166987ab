import { CreateVpcCommand } from '@aws-sdk/client-ec2';
import { cellId } from '@internal/backstage-plugin-fabric-common';
import { AwsClientFactory, MESH_VPC_TAG } from '@internal/backstage-plugin-fabric-node';

/** The estate the mesh tests run on moto_server: 3 accounts × 2 regions. */
export const MESH_ACCOUNTS = [
  { id: '111111111111', name: 'hub', role: 'hub', roleArn: 'arn:aws:iam::111111111111:role/fabric-hub' },
  { id: '222222222222', name: 'research', roleArn: 'arn:aws:iam::222222222222:role/fabric-member' },
  { id: '333333333333', name: 'inference', roleArn: 'arn:aws:iam::333333333333:role/fabric-member' },
];
export const MESH_REGIONS = ['us-east-1', 'us-west-2'];

/**
 * One VPC per cell, opted into the mesh by its tag, with non-overlapping /16s from
 * 10.64.0.0 on. Returns each cell's VPC id by `<account>/<region>`.
 */
export async function createMeshVpcs(clients: AwsClientFactory): Promise<Map<string, string>> {
  const vpcs = new Map<string, string>();
  let n = 64;
  for (const account of MESH_ACCOUNTS) {
    for (const region of MESH_REGIONS) {
      const out = await clients.ec2({ accountId: account.id, region }, account).send(
        new CreateVpcCommand({
          CidrBlock: `10.${n++}.0.0/16`,
          TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: MESH_VPC_TAG, Value: 'true' }] }],
        }),
      );
      vpcs.set(cellId({ accountId: account.id, region }), out.Vpc!.VpcId!);
    }
  }
  return vpcs;
}
