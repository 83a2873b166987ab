export { resolveNodeClass } from './resolveNodeClass';
export type { NodeClassResolverDependencies } from './resolveNodeClass';
