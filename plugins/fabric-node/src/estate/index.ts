export { parseFabricConfig, regionsOf, FabricConfigError } from './EstateConfig';
export type { EstateAccount, FabricConfig } from './EstateConfig';
