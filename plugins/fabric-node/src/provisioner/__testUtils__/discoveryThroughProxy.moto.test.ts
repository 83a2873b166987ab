import { cellId } from '@internal/backstage-plugin-fabric-common';
import { FaultProxy, MotoServer, rotatedAzNames, startFaultProxy, startMotoServer } from '@internal/fabric-test-tooling';
import { AwsClientFactory } from '../../aws';
import { discoverEstate } from '../../discovery/aws/discoverEstate';
import { parseFabricConfig } from '../../estate';

jest.setTimeout(120_000);

/**
 * What the sandbox needs from the proxy, read by the fabric's own discovery: each account
 * its own AZ names, the Service Quotas it has (so offerings have headroom), Linux spot
 * prices (so spot offerings exist), and no HTTP 500 for what moto lacks.
 */
describe('discovery through the fault proxy in front of moto_server', () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  let factory: AwsClientFactory;
  const member = (id: string) => ({ id, name: `member-${id}`, roleArn: `arn:aws:iam::${id}:role/fabric-member` });
  const accounts = [member('222222222222'), member('333333333333')];

  beforeAll(async () => {
    moto = await startMotoServer();
    proxy = await startFaultProxy({
      target: moto.endpoint,
      azNames: rotatedAzNames(),
      serviceQuotas: { '*': { '*': { 'L-DB2E81BA': 768, 'L-3819A6DF': 384 } } },
      spotPrices: { 'g6e.xlarge': 0.95 },
    });
    factory = new AwsClientFactory({
      endpoint: proxy.endpoint,
      hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    factory?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  it('finds offerings with quota headroom, spot offerings, and account-specific AZ names for the same AZ-IDs', async () => {
    const config = parseFabricConfig({
      estate: { source: 'aws', defaultRegions: ['us-east-1'], gpuFamilies: ['g6e'], accounts },
      aws: { endpoint: proxy.endpoint },
    });
    const inventory = await discoverEstate({
      config,
      clients: {
        credentialsFor: account => factory.credentialsFor(account),
        serviceQuotas: (cell, account) => factory.serviceQuotas(cell, account),
        ec2: (cell, account) => factory.ec2(cell, account),
      },
    });

    expect(inventory.cells.map(c => [cellId(c), c.fresh, c.error])).toEqual([
      ['222222222222/us-east-1', true, undefined],
      ['333333333333/us-east-1', true, undefined],
    ]);
    const g6e = inventory.offerings.filter(o => o.instanceType === 'g6e.xlarge');
    // 768 on-demand G vCPUs / 4 vCPUs; 384 spot G vCPUs / 4.
    expect(new Set(g6e.filter(o => o.capacityType === 'on-demand').map(o => o.quotaHeadroomInstances))).toEqual(new Set([192]));
    expect(new Set(g6e.filter(o => o.capacityType === 'spot').map(o => o.quotaHeadroomInstances))).toEqual(new Set([96]));
    expect(g6e.filter(o => o.capacityType === 'spot').every(o => o.pricePerHour === 0.95)).toBe(true);

    const [research, inference] = inventory.cells;
    const namesDiffer = Object.entries(research.azMap).some(([name, azId]) => inference.azMap[name] !== azId);
    expect(namesDiffer).toBe(true);
    expect(new Set(Object.values(research.azMap))).toEqual(new Set(Object.values(inference.azMap)));
  });
});
