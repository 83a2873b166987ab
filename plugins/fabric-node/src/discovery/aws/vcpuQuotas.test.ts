import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  NoSuchResourceException,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { testCellApi } from './__testUtils__/cellApi';
import { discoverVcpuQuotas } from './vcpuQuotas';

const noSuchResource = () =>
  new NoSuchResourceException({ message: 'The request failed because the specified service does not exist.', $metadata: {} });

// moto's Service Quotas has no EC2 quotas at all: the paths are proven here.
describe('discoverVcpuQuotas', () => {
  const quotas = mockClient(ServiceQuotasClient);
  afterEach(() => quotas.reset());

  it('reads the on-demand and spot vCPU quota of every configured family, once per code', async () => {
    quotas.on(GetServiceQuotaCommand).callsFake(input => ({ Quota: { QuotaCode: input.QuotaCode, Value: 384 } }));
    const found = await discoverVcpuQuotas(testCellApi(), ['p5', 'p4d', 'g6e', 'g5']);
    const codes = quotas.commandCalls(GetServiceQuotaCommand).map(c => c.args[0].input);
    // P on-demand covers p5 and p4d; spot splits P5 from P4; G covers g5 and g6e.
    expect(codes).toEqual([
      { ServiceCode: 'ec2', QuotaCode: 'L-417A185B' },
      { ServiceCode: 'ec2', QuotaCode: 'L-C4BD4855' },
      { ServiceCode: 'ec2', QuotaCode: 'L-7212CCBC' },
      { ServiceCode: 'ec2', QuotaCode: 'L-DB2E81BA' },
      { ServiceCode: 'ec2', QuotaCode: 'L-3819A6DF' },
    ]);
    expect([...found.values()].map(q => [q.code, q.vcpus, q.source])).toEqual([
      ['L-417A185B', 384, 'applied'],
      ['L-C4BD4855', 384, 'applied'],
      ['L-7212CCBC', 384, 'applied'],
      ['L-DB2E81BA', 384, 'applied'],
      ['L-3819A6DF', 384, 'applied'],
    ]);
    expect(quotas).not.toHaveReceivedCommand(GetAWSDefaultServiceQuotaCommand);
  });

  it("uses AWS's default when the account has no value, and 0 when even that cannot be read, saying so", async () => {
    quotas.on(GetServiceQuotaCommand).rejects(noSuchResource());
    quotas
      .on(GetAWSDefaultServiceQuotaCommand, { QuotaCode: 'L-417A185B' })
      .resolves({ Quota: { QuotaCode: 'L-417A185B', Value: 0 } })
      .on(GetAWSDefaultServiceQuotaCommand, { QuotaCode: 'L-C4BD4855' })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));

    const found = await discoverVcpuQuotas(testCellApi(), ['p5']);
    expect(found.get('L-417A185B')).toMatchObject({ vcpus: 0, source: 'aws-default' });
    expect(found.get('L-417A185B')?.note).toMatch(/NoSuchResourceException.*AWS default of 0 vCPUs/);
    expect(found.get('L-C4BD4855')).toMatchObject({ vcpus: 0, source: 'assumed-zero' });
    expect(found.get('L-C4BD4855')?.note).toMatch(/TooManyRequestsException: Rate exceeded.*assuming 0 vCPUs/);
    expect(quotas).toHaveReceivedCommandWith(GetAWSDefaultServiceQuotaCommand, { ServiceCode: 'ec2', QuotaCode: 'L-C4BD4855' });
  });

  it('fails on anything else, such as a denied GetServiceQuota, rather than guess a quota', async () => {
    quotas.on(GetServiceQuotaCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: servicequotas:GetServiceQuota'), { name: 'AccessDeniedException' }),
    );
    await expect(discoverVcpuQuotas(testCellApi(), ['g6e'])).rejects.toThrow(
      /AccessDeniedException: User is not authorized.*\(servicequotas:GetServiceQuota in us-east-1\)/,
    );
    expect(quotas).not.toHaveReceivedCommand(GetAWSDefaultServiceQuotaCommand);
  });
});
