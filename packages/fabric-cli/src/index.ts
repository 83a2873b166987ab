/**
 * The fabric CLI: the portal's actions, headless, for pipelines.
 *
 * @packageDocumentation
 */
export { main } from './main';
export type { CliIo } from './main';
