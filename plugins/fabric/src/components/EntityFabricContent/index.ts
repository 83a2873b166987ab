export { EntityFabricContent } from './EntityFabricContent';
