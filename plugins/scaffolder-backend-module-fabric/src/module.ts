import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createFabricActions, FabricApiClient } from './actions';

/**
 * Scaffolder actions that run the fabric engine through the fabric backend.
 * @public
 */
export const scaffolderModuleFabric = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'fabric',
  register(env) {
    env.registerInit({
      deps: {
        scaffolderActions: scaffolderActionsExtensionPoint,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ scaffolderActions, discovery, auth }) {
        const client = new FabricApiClient({ discovery, auth });
        scaffolderActions.addActions(...createFabricActions({ client }));
      },
    });
  },
});
