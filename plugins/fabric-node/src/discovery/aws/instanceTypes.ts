import {
  DescribeInstanceTypesCommand,
  InstanceTypeInfo as Ec2InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { InstanceTypeInfo } from '@internal/backstage-plugin-fabric-common';
import { familyOf } from '../quotaClasses';
import { CellApi } from './CellApi';
import { collectPages } from '../../aws/paginate';

/**
 * The accelerator instance types of the configured families, with what placement needs
 * to know about them: accelerators, vCPUs, memory, EFA and network cards.
 *
 * One filtered call per page: `instance-type` accepts wildcards, and `p5.*` matches
 * `p5.48xlarge` but not `p5e.48xlarge`, so each family is selected exactly. Types that
 * carry no accelerator are dropped (a family list may name one by mistake).
 */
export async function discoverInstanceTypes(api: CellApi, families: string[]): Promise<InstanceTypeInfo[]> {
  const raw = await collectPages(
    NextToken =>
      api.ec2(
        new DescribeInstanceTypesCommand({
          Filters: [{ Name: 'instance-type', Values: families.map(family => `${family}.*`) }],
          MaxResults: 100,
          NextToken,
        }),
      ),
    page => page.InstanceTypes,
  );
  const types = raw.map(toInstanceTypeInfo).filter((t): t is InstanceTypeInfo => t !== undefined);
  return types.sort((a, b) => a.instanceType.localeCompare(b.instanceType));
}

/**
 * Reads the accelerator from whichever block carries it: `GpuInfo` for NVIDIA/AMD GPUs,
 * `NeuronInfo` for Trainium and Inferentia2, `InferenceAcceleratorInfo` for the first
 * Inferentia. Memory is per accelerator, as the demo estate and the portal show it.
 */
export function toInstanceTypeInfo(raw: Ec2InstanceTypeInfo): InstanceTypeInfo | undefined {
  const instanceType = raw.InstanceType;
  if (!instanceType) return undefined;
  const accelerator = acceleratorOf(raw);
  if (!accelerator || accelerator.count <= 0) return undefined;
  const network = raw.NetworkInfo;
  return {
    instanceType,
    family: familyOf(instanceType),
    vcpus: raw.VCpuInfo?.DefaultVCpus ?? 0,
    memoryMiB: raw.MemoryInfo?.SizeInMiB ?? 0,
    acceleratorName: accelerator.name,
    acceleratorManufacturer: accelerator.manufacturer,
    acceleratorCount: accelerator.count,
    acceleratorMemoryMiB: accelerator.memoryMiB,
    efaSupported: network?.EfaSupported ?? false,
    maxEfaInterfaces: network?.EfaInfo?.MaximumEfaInterfaces ?? 0,
    networkCards: network?.MaximumNetworkCards ?? network?.NetworkCards?.length ?? 1,
  };
}

interface Accelerator {
  name: string;
  manufacturer: string;
  count: number;
  memoryMiB: number;
}

function acceleratorOf(raw: Ec2InstanceTypeInfo): Accelerator | undefined {
  const gpus = raw.GpuInfo?.Gpus ?? [];
  if (gpus.length > 0) {
    return {
      name: gpus[0].Name ?? 'unknown',
      manufacturer: gpus[0].Manufacturer ?? 'unknown',
      count: gpus.reduce((sum, gpu) => sum + (gpu.Count ?? 0), 0),
      memoryMiB: gpus[0].MemoryInfo?.SizeInMiB ?? 0,
    };
  }
  const neuron = raw.NeuronInfo?.NeuronDevices ?? [];
  if (neuron.length > 0) {
    return {
      name: neuron[0].Name ?? 'unknown',
      // Neuron devices are AWS's own silicon; the API has no manufacturer field for them.
      manufacturer: 'AWS',
      count: neuron.reduce((sum, device) => sum + (device.Count ?? 0), 0),
      memoryMiB: neuron[0].MemoryInfo?.SizeInMiB ?? 0,
    };
  }
  const inference = raw.InferenceAcceleratorInfo?.Accelerators ?? [];
  if (inference.length > 0) {
    const count = inference.reduce((sum, device) => sum + (device.Count ?? 0), 0);
    const total = raw.InferenceAcceleratorInfo?.TotalInferenceMemoryInMiB;
    return {
      name: inference[0].Name ?? 'unknown',
      manufacturer: inference[0].Manufacturer ?? 'AWS',
      count,
      memoryMiB: inference[0].MemoryInfo?.SizeInMiB ?? (total && count ? Math.floor(total / count) : 0),
    };
  }
  return undefined;
}
