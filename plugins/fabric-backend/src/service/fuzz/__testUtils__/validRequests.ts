/** Valid requests on the demo estate, the seeds the fuzzers mutate. */

/** A placed tightly-coupled gang. */
export const trainingRun = {
  entityRef: 'component:default/llm-pretraining',
  intent: 'tightly-coupled',
  gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
};

/** An island the demo estate can carry, planned with 201. */
export const islandSpec = {
  id: 'llm-use1-az4',
  region: 'us-east-1',
  azId: 'use1-az4',
  networkAccountId: '444444444444',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  vpcCidr: '10.80.0.0/16',
  subnetCidr: '10.80.4.0/22',
  memberAccountIds: ['111111111111', '222222222222'],
  instanceTypes: ['p5.48xlarge'],
};
