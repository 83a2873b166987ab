import { InstanceTypeInfo } from '@internal/backstage-plugin-fabric-common';

/** An accelerator type as discovery would build it from DescribeInstanceTypes. */
export function gpuType(
  instanceType: string,
  acceleratorName: string,
  acceleratorCount: number,
  vcpus: number,
  extra: Partial<InstanceTypeInfo> = {},
): InstanceTypeInfo {
  return {
    instanceType,
    family: instanceType.split('.')[0],
    vcpus,
    memoryMiB: vcpus * 8192,
    acceleratorName,
    acceleratorManufacturer: acceleratorName === 'Trainium' ? 'AWS' : 'NVIDIA',
    acceleratorCount,
    acceleratorMemoryMiB: 24576,
    efaSupported: false,
    maxEfaInterfaces: 0,
    networkCards: 1,
    ...extra,
  };
}
