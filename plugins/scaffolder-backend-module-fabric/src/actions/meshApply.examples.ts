import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Plan the full peering mesh and compare peering with a Transit Gateway for the expected traffic',
    example: yaml.stringify({
      steps: [
        {
          id: 'mesh',
          action: 'fabric:mesh:apply',
          name: 'Plan the peering mesh',
          input: {
            traffic: [
              { from: '111111111111/us-east-1/use1-az4', to: '222222222222/us-west-2/usw2-az1', gbPerMonth: 1000 },
              { from: '222222222222/us-east-1/use1-az2', to: '333333333333/us-east-1/use1-az4', gbPerMonth: 500 },
            ],
          },
        },
      ],
    }),
  },
  {
    description: 'Plan the mesh and apply it (refused while the fabric runs plan-only)',
    example: yaml.stringify({
      steps: [
        {
          id: 'mesh',
          action: 'fabric:mesh:apply',
          name: 'Peer every mesh VPC',
          input: { apply: true },
        },
      ],
    }),
  },
];
