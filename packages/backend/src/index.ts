/*
 * The CloudSpectra Fabric portal backend: Backstage's new backend system with the
 * catalog, scaffolder, guest sign-in for local use, the permission framework with the
 * fabric policy, and the fabric plugin and its scaffolder actions.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

// sign-in: the guest provider for local use; configure a real provider for production
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

// catalog, including Template entities for the scaffolder
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'));
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
// the workload components the fabric was asked to create (no SCM to register them from)
backend.add(import('./modules/fabricWorkloadsCatalogModule'));

// scaffolder and the fabric actions
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@internal/backstage-plugin-scaffolder-backend-module-fabric'));

// permissions: fabric mutations are limited to the platform team
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('./modules/permissionPolicy'));

backend.add(import('@backstage/plugin-user-settings-backend'));

// the fabric: REST API, store, scheduled discovery
backend.add(import('@internal/backstage-plugin-fabric-backend'));

backend.start();
