import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Registers a tightly-coupled H100 training component owned by a group',
    example: yaml.stringify({
      steps: [
        {
          id: 'register',
          action: 'fabric:workload:register',
          name: 'Register the component',
          input: {
            name: 'llm-pretraining',
            description: 'Pre-trains the base model',
            owner: 'group:default/ml-research',
            intent: 'tightly-coupled',
            gpu: 'p5',
          },
        },
      ],
    }),
  },
  {
    description: 'Registers a component in another namespace and system, then places its GPUs',
    example: yaml.stringify({
      steps: [
        {
          id: 'register',
          action: 'fabric:workload:register',
          name: 'Register the component',
          input: {
            name: 'batch-embeddings',
            namespace: 'ml',
            title: 'Batch embeddings',
            owner: 'ml-research',
            system: 'search',
            intent: 'throughput',
            gpu: 'g6.xlarge',
          },
        },
        {
          id: 'placement',
          action: 'fabric:placement:request',
          name: 'Place its GPUs',
          input: {
            entityRef: "${{ steps['register'].output.entityRef }}",
            intent: 'throughput',
            gpu: { instanceTypes: ['g6.xlarge'], totalGpus: 4 },
          },
        },
      ],
    }),
  },
];
