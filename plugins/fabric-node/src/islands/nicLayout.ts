import { InstanceTypeInfo } from '@internal/backstage-plugin-fabric-common';
import { efaNetworkInterfaces, NetworkInterface } from '../compile/karpenter';

/**
 * One `LaunchTemplateData.NetworkInterfaces` entry as EC2 spells it. `Id` is a subnet or
 * security group id, or a `$ref` to one while the plan is not yet applied.
 */
export interface LaunchTemplateNetworkInterface<Id = string> {
  NetworkCardIndex: number;
  DeviceIndex: number;
  InterfaceType: 'interface' | 'efa-only';
  SubnetId: Id;
  Groups: Id[];
  DeleteOnTermination: true;
}

/**
 * The island's NIC layout for one type, the same layout the EC2NodeClass gets (the
 * compiler's {@link efaNetworkInterfaces}), so an instance launched from the launch template
 * and one Karpenter launches look alike: ENA primary on card 0 / device 0, then one
 * EFA-only interface per network card up to the type's EFA maximum. p5.48xlarge
 * (32 cards, 32 EFA) gets the ENA primary and 32 EFA-only interfaces, the first on
 * card 0 / device 1; p4d.24xlarge (4 cards, 4 EFA) gets the primary and 4.
 */
export function islandNetworkInterfaces(info: InstanceTypeInfo): NetworkInterface[] {
  if (!info.efaSupported || info.maxEfaInterfaces < 1) {
    throw new Error(`${info.instanceType} does not support EFA`);
  }
  return efaNetworkInterfaces(info);
}

/** The layout as launch-template interfaces, every one in the island's subnet and security group. */
export function launchTemplateNetworkInterfaces<Id>(
  info: InstanceTypeInfo,
  subnetId: Id,
  securityGroupId: Id,
): LaunchTemplateNetworkInterface<Id>[] {
  return islandNetworkInterfaces(info).map(nic => ({
    NetworkCardIndex: nic.networkCardIndex,
    DeviceIndex: nic.deviceIndex,
    InterfaceType: nic.interfaceType,
    SubnetId: subnetId,
    Groups: [securityGroupId],
    DeleteOnTermination: true,
  }));
}
