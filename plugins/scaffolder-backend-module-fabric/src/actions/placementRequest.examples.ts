import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'A tightly-coupled gang: 16 H100 GPUs (two p5 nodes) in one AZ-ID, reserved capacity first',
    example: yaml.stringify({
      steps: [
        {
          id: 'placement',
          action: 'fabric:placement:request',
          name: 'Place the training gang',
          input: {
            entityRef: 'component:default/llm-pretraining',
            intent: 'tightly-coupled',
            gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
          },
        },
      ],
    }),
  },
  {
    description: 'Throughput work on spot L4 nodes in two regions, capped at $20 per hour',
    example: yaml.stringify({
      steps: [
        {
          id: 'placement',
          action: 'fabric:placement:request',
          name: 'Place batch embeddings',
          input: {
            entityRef: 'component:default/batch-embeddings',
            intent: 'throughput',
            gpu: { instanceTypes: ['g6.xlarge'], totalGpus: 8 },
            spotPolicy: 'spot-first',
            maxHourlyPrice: 20,
            allowedRegions: ['us-east-1', 'us-west-2'],
          },
        },
      ],
    }),
  },
  {
    description:
      'A balanced service in a preferred region, reporting whether it landed in the preferred AZ-ID (the fabric does not take an AZ-ID preference)',
    example: yaml.stringify({
      steps: [
        {
          id: 'placement',
          action: 'fabric:placement:request',
          name: 'Place inference',
          input: {
            entityRef: 'component:default/inference-gateway',
            intent: 'balanced',
            gpu: { minGpuMemoryGiB: 40, totalGpus: 4 },
            preferredRegion: 'us-east-1',
            azId: 'use1-az4',
          },
        },
      ],
    }),
  },
];
