import {
  AcceptVpcPeeringConnectionCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CellRef, cellId } from '@internal/backstage-plugin-fabric-common';
import { freePort, MotoServer, startMotoServer } from '@internal/fabric-test-tooling';
import { AwsClientFactory } from '../aws';
import { parseFabricConfig } from '../estate';
import { demoMeshVpcs } from './demoMesh';
import { MESH_VPC_TAG } from './meshVpcs';
import { loadMeshTopology } from './meshTopology';

jest.setTimeout(60_000);

const RESEARCH = '222222222222';
const INFERENCE = '333333333333';
const BATCH = '444444444444';

describe('loadMeshTopology', () => {
  it('answers the demo estate with the demo VPCs and nothing read from AWS', async () => {
    const topology = await loadMeshTopology({ config: parseFabricConfig({ estate: { source: 'demo' } }) });
    expect(topology).toEqual({ source: 'demo', vpcs: demoMeshVpcs(), routeCounts: {}, unreadableCells: [] });
  });

  it('refuses an aws estate without AWS clients', async () => {
    const config = parseFabricConfig({ estate: { source: 'aws', accounts: [{ id: RESEARCH, name: 'ml-research' }] } });
    await expect(loadMeshTopology({ config })).rejects.toThrow('An aws estate needs AWS clients');
  });

  describe('against moto_server', () => {
    let moto: MotoServer;
    let factory: AwsClientFactory;
    let unreachable: AwsClientFactory;
    const config = parseFabricConfig({
      estate: {
        source: 'aws',
        defaultRegions: ['us-east-1'],
        accounts: [RESEARCH, INFERENCE, BATCH].map(id => ({
          id,
          name: `account-${id}`,
          roleArn: `arn:aws:iam::${id}:role/fabric-member`,
        })),
      },
    });
    const accountOf = (accountId: string) => config.estate.accounts.find(a => a.id === accountId)!;
    const cell = (accountId: string): CellRef => ({ accountId, region: 'us-east-1' });
    const ec2 = (accountId: string): EC2Client => factory.ec2(cell(accountId), accountOf(accountId));

    async function createVpc(accountId: string, cidr: string, enrolled: boolean): Promise<string> {
      const created = await ec2(accountId).send(
        new CreateVpcCommand({
          CidrBlock: cidr,
          ...(enrolled
            ? { TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: MESH_VPC_TAG, Value: 'true' }] }] }
            : {}),
        }),
      );
      return created.Vpc!.VpcId!;
    }

    beforeAll(async () => {
      moto = await startMotoServer();
      const hubCredentials = { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' };
      factory = new AwsClientFactory({ endpoint: moto.endpoint, hubCredentials, maxAttempts: 1 });
      // Nothing listens there: the batch account's cell cannot be read.
      unreachable = new AwsClientFactory({ endpoint: `http://127.0.0.1:${await freePort()}`, hubCredentials, maxAttempts: 1 });
    });

    afterAll(async () => {
      factory?.destroy();
      unreachable?.destroy();
      await moto?.stop();
    });

    it('reads the tagged VPCs, their route tables and peerings, and lists the cells it could not read', async () => {
      const research = await createVpc(RESEARCH, '10.64.0.0/16', true);
      const inference = await createVpc(INFERENCE, '10.65.0.0/16', true);
      await createVpc(RESEARCH, '10.99.0.0/16', false);
      const peering = await ec2(RESEARCH).send(
        new CreateVpcPeeringConnectionCommand({ VpcId: research, PeerVpcId: inference, PeerOwnerId: INFERENCE, PeerRegion: 'us-east-1' }),
      );
      const peeringId = peering.VpcPeeringConnection!.VpcPeeringConnectionId!;
      await ec2(INFERENCE).send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: peeringId }));

      const topology = await loadMeshTopology({
        config,
        clients: { ec2: (c, account) => (c.accountId === BATCH ? unreachable : factory).ec2(c, account) },
      });

      expect(topology.source).toBe('aws');
      expect(topology.vpcs.map(v => [v.cell, v.vpcId, v.cidr])).toEqual([
        [cellId(cell(RESEARCH)), research, '10.64.0.0/16'],
        [cellId(cell(INFERENCE)), inference, '10.65.0.0/16'],
      ]);
      for (const vpc of topology.vpcs) {
        expect(vpc.routeTableIds).toHaveLength(1);
        expect(topology.routeCounts[vpc.routeTableIds[0]]).toBe(1);
      }
      expect(topology.existingPeerings).toEqual([
        expect.objectContaining({
          vpcPeeringConnectionId: peeringId,
          requesterVpcId: research,
          accepterVpcId: inference,
          status: 'active',
        }),
      ]);
      expect(topology.unreadableCells).toEqual([{ cell: cellId(cell(BATCH)), error: expect.any(String) }]);
    });
  });
});
