/**
 * The CloudSpectra Fabric engine. One folder per concern, in the manner of Karpenter's
 * providers; every dependency (AWS clients, Kubernetes target, clock, store) is passed
 * in, so tests hand the engine real peers. No Backstage imports live here.
 *
 * @packageDocumentation
 */
export * from './estate';
export * from './discovery';
export * from './capacity';
export * from './aws';
export * from './kubernetes';
export * from './placement';
export * from './compile';
export * from './plan';
export * from './network';
export * from './islands';
export * from './cells';
export * from './provisioner/decide';
export * from './provisioner/launch';
export * from './provisioner/status';
export * from './provisioner/controller';
