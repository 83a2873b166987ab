/**
 * Who is enrolled in the built-in demo estate: four accounts in three older regions, so
 * AZ names map to different physical zones per account exactly as they do in real
 * accounts created before November 2025 (docs/aws-facts.md §1). Discovery builds the demo
 * inventory over them and the mesh plans the demo VPCs of their cells.
 */
export const demoAccounts = [
  { id: '111111111111', name: 'ml-platform-hub', role: 'hub' as const },
  { id: '222222222222', name: 'ml-research', role: 'member' as const },
  { id: '333333333333', name: 'ml-inference', role: 'member' as const },
  { id: '444444444444', name: 'network', role: 'network' as const },
];

export const demoRegions = ['us-east-1', 'us-west-2', 'eu-west-1'];
