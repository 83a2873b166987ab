export { FabricEstatePage } from './FabricEstatePage';
