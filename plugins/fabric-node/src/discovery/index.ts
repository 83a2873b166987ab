export { buildDemoInventory, demoAccounts, demoRegions, demoAzMap } from './demo/demoEstate';
export { quotaClassOf, quotaCodesFor, familyOf } from './quotaClasses';
export type { QuotaClass } from './quotaClasses';
export * from './aws';
export { demoMeshVpcs } from './demo/demoMesh';
