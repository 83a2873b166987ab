import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
} from '@aws-sdk/client-service-quotas';
import { QuotaClass, quotaCodesFor } from '../quotaClasses';
import { CellApi } from './CellApi';
import { awsErrorCode, describeAwsError } from '../../aws/errors';
import { DiscoveryStepError } from './errors';

/** A vCPU quota of one cell, and how sure the fabric is of it. */
export interface VcpuQuota extends QuotaClass {
  vcpus: number;
  /**
   * `applied`: the account's value from GetServiceQuota. `aws-default`: GetServiceQuota
   * had no value for the account (`NoSuchResourceException`), so AWS's default applies.
   * `assumed-zero`: neither could be read; GPU defaults are 0 anyway (docs/aws-facts.md §6), so 0
   * is what an account that never asked for more really has.
   */
  source: 'applied' | 'aws-default' | 'assumed-zero';
  /** Why the value is not `applied`, for the cell's warnings. */
  note?: string;
}

/**
 * The EC2 vCPU quotas (on-demand and spot) of the configured families in one cell.
 * Any failure other than `NoSuchResourceException` (access denied, throttling, 5xx)
 * fails the cell: guessing a quota there could hide a real wall.
 */
export async function discoverVcpuQuotas(api: CellApi, families: string[]): Promise<Map<string, VcpuQuota>> {
  const quotas = await Promise.all(quotaCodesFor(families).map(quotaClass => readQuota(api, quotaClass)));
  return new Map(quotas.map(quota => [quota.code, quota]));
}

async function readQuota(api: CellApi, quotaClass: QuotaClass): Promise<VcpuQuota> {
  const request = { ServiceCode: 'ec2', QuotaCode: quotaClass.code };
  try {
    const out = await api.serviceQuotas(new GetServiceQuotaCommand(request));
    return { ...quotaClass, vcpus: out.Quota?.Value ?? 0, source: 'applied' };
  } catch (error) {
    if (!isNoSuchResource(error)) throw error;
  }
  try {
    const out = await api.serviceQuotas(new GetAWSDefaultServiceQuotaCommand(request));
    return {
      ...quotaClass,
      vcpus: out.Quota?.Value ?? 0,
      source: 'aws-default',
      note: `${quotaClass.code} (${quotaClass.name}): no applied value (NoSuchResourceException); using the AWS default of ${out.Quota?.Value ?? 0} vCPUs`,
    };
  } catch (error) {
    if (api.signal.aborted) throw error;
    const cause = error instanceof DiscoveryStepError ? error.cause : error;
    return {
      ...quotaClass,
      vcpus: 0,
      source: 'assumed-zero',
      note: `${quotaClass.code} (${quotaClass.name}): no applied value (NoSuchResourceException) and the AWS default could not be read (${describeAwsError(cause)}); assuming 0 vCPUs`,
    };
  }
}

function isNoSuchResource(error: unknown): boolean {
  const cause = error instanceof DiscoveryStepError ? error.cause : error;
  return awsErrorCode(cause) === 'NoSuchResourceException';
}
