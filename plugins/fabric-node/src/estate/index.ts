export { parseFabricConfig, regionsOf, FabricConfigError } from './EstateConfig';
export type { EstateAccount, FabricConfig } from './EstateConfig';
export { demoAccounts, demoRegions } from './demoEstate';
