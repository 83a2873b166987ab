import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { createFabricCapacityQueryAction } from './capacityQuery';
import { FabricApiClient } from './FabricApiClient';
import { createFabricIslandCreateAction } from './islandCreate';
import { createFabricManifestsRenderAction } from './manifestsRender';
import { createFabricMeshApplyAction } from './meshApply';
import { createFabricPlacementRequestAction } from './placementRequest';
import { createFabricWorkloadRegisterAction } from './workloadRegister';

/** Every fabric action, in the order a template uses them, all calling the fabric through one client. */
export function createFabricActions(options: { client: FabricApiClient }): TemplateAction<any, any, any>[] {
  return [
    createFabricCapacityQueryAction(options),
    createFabricWorkloadRegisterAction(options),
    createFabricPlacementRequestAction(options),
    createFabricIslandCreateAction(options),
    createFabricMeshApplyAction(options),
    createFabricManifestsRenderAction(options),
  ] as TemplateAction<any, any, any>[];
}
