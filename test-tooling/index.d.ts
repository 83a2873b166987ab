export * from './moto/motoServer';
export * from './kube/controlPlane';
export * from './karpenter-bench';
