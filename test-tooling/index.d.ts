export * from './moto/motoServer';
export * from './kube/controlPlane';
