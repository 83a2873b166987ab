export * from './moto/motoServer';
export * from './moto/faultProxy';
export * from './kube/controlPlane';
export * from './kube/nodeJoin';
export * from './localEstate';
export * from './karpenter-bench';
