import { EC2Client } from '@aws-sdk/client-ec2';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { CellRef } from '@internal/backstage-plugin-fabric-common';
import { RequestLimiter } from '../../../aws';
import { discoverAzMap } from '../availabilityZones';
import { CellApi } from '../CellApi';

/** A limiter that grants at once and counts what it granted, per key. */
export class CountingLimiter implements RequestLimiter {
  readonly granted = new Map<string, number>();
  async acquire(key: string): Promise<void> {
    this.granted.set(key, (this.granted.get(key) ?? 0) + 1);
  }
  total(): number {
    return [...this.granted.values()].reduce((a, b) => a + b, 0);
  }
}

/** Static credentials: aws-sdk-client-mock answers before any signing. */
export const testCredentials = { accessKeyId: 'AKIAEXAMPLEEXAMPLE12', secretAccessKey: 'test-secret' };

/** A CellApi over fresh clients, for tests that mock EC2Client / ServiceQuotasClient. */
export function testCellApi(
  cell: CellRef = { accountId: '222222222222', region: 'us-east-1' },
  limiter: RequestLimiter = new CountingLimiter(),
): CellApi {
  const config = { region: cell.region, credentials: testCredentials, maxAttempts: 1 };
  return new CellApi({
    cell,
    ec2: new EC2Client(config),
    serviceQuotas: new ServiceQuotasClient(config),
    limiter,
    signal: new AbortController().signal,
  });
}

/** The account's AZ name → AZ-ID map in the cell, read as discovery reads it (for moto tests). */
export async function readAzMap(
  clients: { ec2: EC2Client; serviceQuotas: ServiceQuotasClient },
  cell: CellRef,
): Promise<Record<string, string>> {
  const api = new CellApi({ cell, ...clients, limiter: new CountingLimiter(), signal: new AbortController().signal });
  return discoverAzMap(api);
}
