import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const network = {
  networkAccountId: '444444444444',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  vpcCidr: '10.80.0.0/16',
};

export const examples: TemplateExample[] = [
  {
    description: 'Plan the EFA training island of a tightly-coupled placement (its AZ-ID, accounts and instance types)',
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
        {
          id: 'island',
          action: 'fabric:island:create',
          name: 'Plan the island',
          input: {
            placementId: "${{ steps['placement'].output.placementId }}",
            islandId: 'pretrain',
            ...network,
            subnetCidr: '10.80.8.0/22',
          },
        },
      ],
    }),
  },
  {
    description: 'Plan an island from a full spec and apply it (refused while the fabric runs plan-only)',
    example: yaml.stringify({
      steps: [
        {
          id: 'island',
          action: 'fabric:island:create',
          name: 'Build the island',
          input: {
            islandId: 'llm-use1-az4',
            region: 'us-east-1',
            azId: 'use1-az4',
            instanceTypes: ['p5.48xlarge'],
            memberAccountIds: ['111111111111', '222222222222'],
            ...network,
            subnetCidr: '10.80.4.0/22',
            apply: true,
          },
        },
      ],
    }),
  },
];
