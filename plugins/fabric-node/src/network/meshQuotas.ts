import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { CellRef, cellId } from '@internal/backstage-plugin-fabric-common';
import { awsErrorCode, describeAwsError } from '../aws/errors';

/**
 * The Amazon VPC quotas a mesh depends on, per account and region (docs/aws-facts.md §4):
 * both default to 50 and are raised only on request, up to 125 peerings and 1 000 routes.
 */
export const MESH_QUOTAS = {
  activePeeringsPerVpc: { code: 'L-7E9ECCDB', name: 'Active VPC peering connections per VPC', awsDefault: 50, max: 125 },
  routesPerTable: { code: 'L-93826ACB', name: 'Routes per route table', awsDefault: 50, max: 1000 },
} as const;

export type MeshQuotaName = keyof typeof MESH_QUOTAS;

/** One quota's value in one cell, and where the value comes from. */
export interface MeshQuotaValue {
  value: number;
  /**
   * `applied`: the account's own value (GetServiceQuota). `aws-default`: the account has
   * none, so AWS's default applies (GetAWSDefaultServiceQuota). `assumed-default`: neither
   * could be read; the documented default is assumed and the note says why.
   */
  source: 'applied' | 'aws-default' | 'assumed-default';
  note?: string;
}

/** A cell's mesh quotas. */
export type MeshQuotas = Record<MeshQuotaName, MeshQuotaValue>;

/** The documented AWS defaults, as assumed when nothing could be read (the demo). */
export function defaultMeshQuotas(note?: string): MeshQuotas {
  const assumed = (name: MeshQuotaName): MeshQuotaValue => ({
    value: MESH_QUOTAS[name].awsDefault,
    source: 'assumed-default',
    ...(note ? { note } : {}),
  });
  return { activePeeringsPerVpc: assumed('activePeeringsPerVpc'), routesPerTable: assumed('routesPerTable') };
}

/**
 * Reads a cell's mesh quotas from Service Quotas: the account's applied value, else
 * AWS's default for it, else the documented default with a note saying it was assumed.
 * Never fails: a quota it cannot read is planned against the default and said so.
 */
export async function readMeshQuotas(serviceQuotas: ServiceQuotasClient, cell: CellRef): Promise<MeshQuotas> {
  const read = async (name: MeshQuotaName): Promise<MeshQuotaValue> => {
    const quota = MESH_QUOTAS[name];
    const request = { ServiceCode: 'vpc', QuotaCode: quota.code };
    try {
      const out = await serviceQuotas.send(new GetServiceQuotaCommand(request));
      if (typeof out.Quota?.Value === 'number') return { value: out.Quota.Value, source: 'applied' };
    } catch (error) {
      if (awsErrorCode(error) !== 'NoSuchResourceException') {
        return assumedDefault(name, cell, describeAwsError(error));
      }
    }
    try {
      const out = await serviceQuotas.send(new GetAWSDefaultServiceQuotaCommand(request));
      if (typeof out.Quota?.Value === 'number') return { value: out.Quota.Value, source: 'aws-default' };
      return assumedDefault(name, cell, 'Service Quotas returned no value');
    } catch (error) {
      return assumedDefault(name, cell, describeAwsError(error));
    }
  };
  const [activePeeringsPerVpc, routesPerTable] = await Promise.all([read('activePeeringsPerVpc'), read('routesPerTable')]);
  return { activePeeringsPerVpc, routesPerTable };
}

function assumedDefault(name: MeshQuotaName, cell: CellRef, why: string): MeshQuotaValue {
  const quota = MESH_QUOTAS[name];
  return {
    value: quota.awsDefault,
    source: 'assumed-default',
    note: `${quota.name} (${quota.code}) in ${cellId(cell)} could not be read (${why}); planning against the AWS default of ${quota.awsDefault}`,
  };
}

/**
 * The refusal text for a VPC the mesh would push past a quota: which quota, its value
 * where, what the mesh needs, and the increase to ask for (or that none can help).
 */
export function meshQuotaRefusal(options: {
  quota: MeshQuotaName;
  value: MeshQuotaValue;
  cell: string;
  what: string;
  needed: number;
}): string {
  const quota = MESH_QUOTAS[options.quota];
  const sourceNote = {
    applied: '',
    'aws-default': ' (the AWS default)',
    'assumed-default': ' (assumed: the AWS default)',
  }[options.value.source];
  const current = `${quota.name} (${quota.code}) is ${options.value.value} in ${options.cell}${sourceNote}`;
  const ask =
    options.needed <= quota.max
      ? `request an increase of ${quota.name} to at least ${options.needed} in Service Quotas (up to ${quota.max})`
      : `more than AWS allows (${quota.max}): split the mesh or use a Transit Gateway`;
  return `${options.what} would need ${options.needed}, but ${current}; ${ask}`;
}
