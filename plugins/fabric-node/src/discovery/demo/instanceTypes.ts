import { InstanceTypeInfo } from '@internal/backstage-plugin-fabric-common';
import { onDemandListPrices } from '../aws/onDemandPrices';

/**
 * GPU and accelerator instance types of the demo estate, from AWS's public instance
 * type pages (vCPUs, memory, accelerators, EFA and network cards as DescribeInstanceTypes
 * reports them). Used only when no AWS account is configured.
 */
const t = (
  instanceType: string,
  vcpus: number,
  memoryGiB: number,
  acceleratorName: string,
  acceleratorManufacturer: string,
  acceleratorCount: number,
  acceleratorMemoryMiB: number,
  maxEfaInterfaces: number,
  networkCards: number,
): InstanceTypeInfo => ({
  instanceType,
  family: instanceType.split('.')[0],
  vcpus,
  memoryMiB: memoryGiB * 1024,
  acceleratorName,
  acceleratorManufacturer,
  acceleratorCount,
  acceleratorMemoryMiB,
  efaSupported: maxEfaInterfaces > 0,
  maxEfaInterfaces,
  networkCards,
});

export const demoInstanceTypes: InstanceTypeInfo[] = [
  t('p5.48xlarge', 192, 2048, 'H100', 'NVIDIA', 8, 81920, 32, 32),
  t('p5e.48xlarge', 192, 2048, 'H200', 'NVIDIA', 8, 144384, 32, 32),
  t('p5en.48xlarge', 192, 2048, 'H200', 'NVIDIA', 8, 144384, 16, 16),
  t('p4d.24xlarge', 96, 1152, 'A100', 'NVIDIA', 8, 40960, 4, 4),
  t('p4de.24xlarge', 96, 1152, 'A100', 'NVIDIA', 8, 81920, 4, 4),
  t('g5.xlarge', 4, 16, 'A10G', 'NVIDIA', 1, 24576, 0, 1),
  t('g5.12xlarge', 48, 192, 'A10G', 'NVIDIA', 4, 24576, 1, 1),
  t('g5.48xlarge', 192, 768, 'A10G', 'NVIDIA', 8, 24576, 1, 1),
  t('g6.xlarge', 4, 16, 'L4', 'NVIDIA', 1, 22888, 0, 1),
  t('g6.12xlarge', 48, 192, 'L4', 'NVIDIA', 4, 22888, 1, 1),
  t('g6.48xlarge', 192, 768, 'L4', 'NVIDIA', 8, 22888, 1, 1),
  t('g6e.xlarge', 4, 32, 'L40S', 'NVIDIA', 1, 45776, 0, 1),
  t('g6e.12xlarge', 48, 384, 'L40S', 'NVIDIA', 4, 45776, 1, 1),
  t('g6e.48xlarge', 192, 1536, 'L40S', 'NVIDIA', 8, 45776, 4, 4),
  t('trn1.32xlarge', 128, 512, 'Trainium', 'AWS', 16, 32768, 8, 8),
];

/**
 * Approximate us-east-1 on-demand Linux prices (USD/hour) of the demo's types: the same
 * built-in list prices live discovery uses; other regions apply a small uplift in the demo.
 */
export const demoOnDemandPrices: Record<string, number> = Object.fromEntries(
  [
    'p5.48xlarge', 'p5e.48xlarge', 'p5en.48xlarge', 'p4d.24xlarge', 'p4de.24xlarge',
    'g5.xlarge', 'g5.12xlarge', 'g5.48xlarge', 'g6.xlarge', 'g6.12xlarge', 'g6.48xlarge',
    'g6e.xlarge', 'g6e.12xlarge', 'g6e.48xlarge', 'trn1.32xlarge',
  ].map(type => [type, onDemandListPrices[type]]),
);
