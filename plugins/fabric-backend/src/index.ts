/**
 * CloudSpectra Fabric backend plugin.
 *
 * @packageDocumentation
 */
export { fabricPlugin as default } from './plugin';
