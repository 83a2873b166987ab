import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: "Place a workload, then write its Karpenter YAML and pod scheduling snippet into the workspace's fabric/ folder",
    example: yaml.stringify({
      steps: [
        {
          id: 'placement',
          action: 'fabric:placement:request',
          name: 'Place the workload',
          input: {
            entityRef: 'component:default/llm-finetune',
            intent: 'tightly-coupled',
            gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 8 },
          },
        },
        {
          id: 'manifests',
          action: 'fabric:manifests:render',
          name: 'Render the manifests',
          input: { placementId: "${{ steps['placement'].output.placementId }}" },
        },
      ],
    }),
  },
  {
    description: 'Write the manifests of a stored placement under deploy/gpu/',
    example: yaml.stringify({
      steps: [
        {
          id: 'placement',
          action: 'fabric:placement:request',
          name: 'Place the workload',
          input: {
            entityRef: 'component:default/batch-embeddings',
            intent: 'throughput',
            gpu: { family: 'g6', totalGpus: 4 },
          },
        },
        {
          id: 'manifests',
          action: 'fabric:manifests:render',
          name: 'Render the manifests',
          input: { placementId: "${{ steps['placement'].output.placementId }}", targetPath: 'deploy/gpu' },
        },
      ],
    }),
  },
];
