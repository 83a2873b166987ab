import { RequestLaunchTemplateData } from '@aws-sdk/client-ec2';

/**
 * How a launch template's stored data differs from what the island wants, in the fields
 * that decide where and how an instance lands: type, placement group, NICs, reservation.
 */
export function launchTemplateDrift(
  wanted: RequestLaunchTemplateData,
  actual: { [K in keyof RequestLaunchTemplateData]?: unknown } | undefined,
): string[] {
  if (!actual) return ['it has no default version'];
  const drift: string[] = [];
  const differ = (field: string, want: unknown, have: unknown) => {
    if (JSON.stringify(want ?? null) !== JSON.stringify(have ?? null)) {
      drift.push(`${field} is ${JSON.stringify(have ?? null)}, the island wants ${JSON.stringify(want ?? null)}`);
    }
  };
  const differList = <T>(field: string, want: T[], have: T[]) => {
    if (want.length !== have.length) {
      drift.push(`${field} has ${have.length} entries, the island wants ${want.length}`);
      return;
    }
    const at = want.findIndex((w, i) => JSON.stringify(w) !== JSON.stringify(have[i]));
    if (at >= 0) differ(`${field}[${at}]`, want[at], have[at]);
  };
  const a = actual as RequestLaunchTemplateData;
  differ('InstanceType', wanted.InstanceType, a.InstanceType);
  differ('Placement.GroupId', wanted.Placement?.GroupId, a.Placement?.GroupId);
  const nics = (list: RequestLaunchTemplateData['NetworkInterfaces']) =>
    (list ?? [])
      .map(n => ({
        card: n.NetworkCardIndex ?? 0,
        device: n.DeviceIndex ?? 0,
        type: n.InterfaceType ?? 'interface',
        subnet: n.SubnetId ?? null,
        groups: [...(n.Groups ?? [])].sort(),
      }))
      .sort((x, y) => x.card - y.card || x.device - y.device);
  differList('NetworkInterfaces', nics(wanted.NetworkInterfaces), nics(a.NetworkInterfaces));
  differ(
    'CapacityReservationId',
    wanted.CapacityReservationSpecification?.CapacityReservationTarget?.CapacityReservationId,
    a.CapacityReservationSpecification?.CapacityReservationTarget?.CapacityReservationId,
  );
  differ('InstanceMarketOptions.MarketType', wanted.InstanceMarketOptions?.MarketType, a.InstanceMarketOptions?.MarketType);
  return drift;
}
