/**
 * Shared vocabulary of CloudSpectra Fabric: types, annotation and label keys,
 * and permissions, used by the engine, the backend, the frontend and the actions.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './permissions';
export * from './placementRequest';
export * from './types';
