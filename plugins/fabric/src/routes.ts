import { createRouteRef } from '@backstage/core-plugin-api';

export const rootRouteRef = createRouteRef({ id: 'fabric' });
export const entityContentRouteRef = createRouteRef({ id: 'fabric:entity-content' });
