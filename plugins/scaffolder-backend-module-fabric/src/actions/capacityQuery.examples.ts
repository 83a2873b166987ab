import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'H100 capacity a tightly-coupled run could use in us-east-1',
    example: yaml.stringify({
      steps: [
        {
          id: 'capacity',
          action: 'fabric:capacity:query',
          name: 'Query GPU capacity',
          input: { gpu: 'H100', region: 'us-east-1', intent: 'tightly-coupled' },
        },
      ],
    }),
  },
  {
    description: 'Cheapest spot L4 nodes anywhere in the estate',
    example: yaml.stringify({
      steps: [
        {
          id: 'capacity',
          action: 'fabric:capacity:query',
          name: 'Query GPU capacity',
          input: { gpu: 'L4', capacityType: 'spot' },
        },
      ],
    }),
  },
];
