export { buildDemoInventory, demoAzMap } from './demo/demoEstate';
export { quotaClassOf, quotaCodesFor, familyOf } from './quotaClasses';
export type { QuotaClass } from './quotaClasses';
export * from './aws';
