import type { InstanceTypeInfo as Ec2InstanceTypeInfo } from '@aws-sdk/client-ec2';

/** DescribeInstanceTypes rows shaped like AWS's (and moto's) for the types tests use. */
export const ec2InstanceTypes: Record<string, Ec2InstanceTypeInfo> = {
  'p5.48xlarge': {
    InstanceType: 'p5.48xlarge',
    VCpuInfo: { DefaultVCpus: 192 },
    MemoryInfo: { SizeInMiB: 2097152 },
    GpuInfo: { Gpus: [{ Name: 'H100', Manufacturer: 'NVIDIA', Count: 8, MemoryInfo: { SizeInMiB: 81920 } }] },
    NetworkInfo: { EfaSupported: true, EfaInfo: { MaximumEfaInterfaces: 32 }, MaximumNetworkCards: 32 },
  },
  'p5.4xlarge': {
    InstanceType: 'p5.4xlarge',
    VCpuInfo: { DefaultVCpus: 16 },
    MemoryInfo: { SizeInMiB: 262144 },
    GpuInfo: { Gpus: [{ Name: 'H100', Manufacturer: 'NVIDIA', Count: 1, MemoryInfo: { SizeInMiB: 81920 } }] },
    NetworkInfo: { EfaSupported: false, MaximumNetworkCards: 1 },
  },
  'trn1.32xlarge': {
    InstanceType: 'trn1.32xlarge',
    VCpuInfo: { DefaultVCpus: 128 },
    MemoryInfo: { SizeInMiB: 524288 },
    NeuronInfo: { NeuronDevices: [{ Name: 'Trainium', Count: 16, MemoryInfo: { SizeInMiB: 32768 } }] },
    NetworkInfo: { EfaSupported: true, EfaInfo: { MaximumEfaInterfaces: 8 }, MaximumNetworkCards: 8 },
  },
  'inf1.24xlarge': {
    InstanceType: 'inf1.24xlarge',
    VCpuInfo: { DefaultVCpus: 96 },
    MemoryInfo: { SizeInMiB: 196608 },
    InferenceAcceleratorInfo: {
      Accelerators: [{ Name: 'Inferentia', Manufacturer: 'AWS', Count: 16 }],
      TotalInferenceMemoryInMiB: 131072,
    },
    NetworkInfo: { EfaSupported: true, EfaInfo: { MaximumEfaInterfaces: 1 }, NetworkCards: [{ NetworkCardIndex: 0 }] },
  },
  'm5.large': {
    InstanceType: 'm5.large',
    VCpuInfo: { DefaultVCpus: 2 },
    MemoryInfo: { SizeInMiB: 8192 },
    NetworkInfo: { EfaSupported: false, MaximumNetworkCards: 1 },
  },
};
