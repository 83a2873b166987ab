/**
 * Shared vocabulary of CloudSpectra Fabric: identifiers and their schemas, types, plan
 * wire shapes, refusals, annotation and label keys, and permissions, used by the engine,
 * the backend, the frontend, the actions and the CLI.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './hubCluster';
export * from './permissions';
export * from './placementRequest';
export * from './plans';
export * from './refusals';
export * from './types';
export * from './vocabulary';
