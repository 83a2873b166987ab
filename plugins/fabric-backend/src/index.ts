/**
 * CloudSpectra Fabric backend plugin.
 *
 * @packageDocumentation
 */
export { fabricPlugin as default } from './plugin';
export {
  FABRIC_CALLERS,
  FABRIC_ROUTES,
  routeName as fabricRouteName,
} from './service/routes/routeTable';
export type { FabricCaller, FabricRoute } from './service/routes/routeTable';
