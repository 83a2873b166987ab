export { queryCapacity } from './queryCapacity';
export type { CapacityQuery } from './queryCapacity';
