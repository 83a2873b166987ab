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
import { planMesh } from './planMesh';
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';

jest.setTimeout(60_000);

const RESEARCH = '222222222222';
const INFERENCE = '333333333333';
const BATCH = '444444444444';

describe('loadMeshTopology', () => {
  it('answers the demo estate with the demo VPCs and nothing read from AWS', async () => {
    const topology = await loadMeshTopology({ config: parseFabricConfig({ estate: { source: 'demo' } }) });
    expect(topology).toMatchObject({ source: 'demo', vpcs: demoMeshVpcs(), routeCounts: {}, unreadableCells: [] });
    // The demo plans against AWS's defaults, and says they are assumed.
    for (const cell of new Set(demoMeshVpcs().map(v => v.cell))) {
      expect(topology.quotas[cell]).toEqual({
        activePeeringsPerVpc: { value: 50, source: 'assumed-default', note: 'the demo estate has the AWS defaults' },
        routesPerTable: { value: 50, source: 'assumed-default', note: 'the demo estate has the AWS defaults' },
      });
    }
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

    // moto serves no applied VPC quotas: Service Quotas answers come from the SDK mock,
    // as an account would have them.
    const quotasMock = mockClient(ServiceQuotasClient);

    beforeAll(async () => {
      moto = await startMotoServer();
      const hubCredentials = { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' };
      factory = new AwsClientFactory({ endpoint: moto.endpoint, hubCredentials, maxAttempts: 1 });
      // Nothing listens there: the batch account's cell cannot be read.
      unreachable = new AwsClientFactory({ endpoint: `http://127.0.0.1:${await freePort()}`, hubCredentials, maxAttempts: 1 });
    });

    afterAll(async () => {
      quotasMock.restore();
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

      const denied = Object.assign(new Error('not authorized to perform servicequotas:GetServiceQuota'), {
        name: 'AccessDeniedException',
      });
      quotasMock
        .on(GetServiceQuotaCommand, { QuotaCode: 'L-7E9ECCDB' })
        .callsFake(async () => {
          throw Object.assign(new Error('no applied value'), { name: 'NoSuchResourceException' });
        })
        .on(GetAWSDefaultServiceQuotaCommand, { QuotaCode: 'L-7E9ECCDB' })
        .resolves({ Quota: { Value: 50 } })
        .on(GetServiceQuotaCommand, { QuotaCode: 'L-93826ACB' })
        .resolves({ Quota: { Value: 2 } });
      const topology = await loadMeshTopology({
        config,
        clients: {
          ec2: (c, account) => (c.accountId === BATCH ? unreachable : factory).ec2(c, account),
          serviceQuotas: c => {
            // The inference account's role may not read Service Quotas.
            if (c.accountId === INFERENCE) {
              const client = new ServiceQuotasClient({ region: c.region });
              client.send = (async () => {
                throw denied;
              }) as any;
              return client;
            }
            return new ServiceQuotasClient({ region: c.region, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
          },
        },
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

      // Each mesh cell's quotas, with where each value came from.
      expect(topology.quotas[cellId(cell(RESEARCH))]).toEqual({
        activePeeringsPerVpc: { value: 50, source: 'aws-default' },
        routesPerTable: { value: 2, source: 'applied' },
      });
      expect(topology.quotas[cellId(cell(INFERENCE))].activePeeringsPerVpc).toEqual({
        value: 50,
        source: 'assumed-default',
        note: expect.stringContaining('Active VPC peering connections per VPC (L-7E9ECCDB) in 333333333333/us-east-1 could not be read'),
      });

      // Planned against them: a third mesh VPC in research's cell would put 2 peer routes
      // beside the local one in its table, one more than research's quota of 2 routes.
      const third = await createVpc(RESEARCH, '10.66.0.0/16', true);
      const again = await loadMeshTopology({
        config: { ...config, estate: { ...config.estate, accounts: config.estate.accounts.filter(a => a.id !== BATCH) } },
        clients: {
          ec2: (c, account) => factory.ec2(c, account),
          serviceQuotas: c => new ServiceQuotasClient({ region: c.region, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
        },
      });
      const thirdVpc = again.vpcs.find(v => v.vpcId === third)!;
      const mesh = planMesh({ ...again, ownerTag: 'p' });
      expect(mesh.refused.filter(r => r.rule === 'mesh-quota').map(r => r.reason)).toEqual([
        `route table ${thirdVpc.routeTableIds[0]} of 222222222222/us-east-1 ${third} (10.66.0.0/16) would hold 3 routes: ` +
          'it would need 3, but Routes per route table (L-93826ACB) is 2 in 222222222222/us-east-1; ' +
          'request an increase of Routes per route table to at least 3 in Service Quotas (up to 1000)',
      ].flatMap(reason => [reason, reason]));
    });
  });
});
