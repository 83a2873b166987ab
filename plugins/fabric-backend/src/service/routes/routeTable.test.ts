import { fabricPermissions } from '@internal/backstage-plugin-fabric-common';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FABRIC_ROUTES, routeName, withRenderedRestTable } from './routeTable';

const ROOT = path.resolve(__dirname, '../../../../..');

/**
 * The route table is the one list of fabric routes: the authorization matrix
 * (packages/backend/src/authorizationMatrix.test.ts) and the README render it, so it must
 * name exactly the routes the route files declare.
 */
describe('the fabric route table', () => {
  it('names every route the route files declare, and no other', () => {
    const declared: string[] = [];
    for (const file of readdirSync(__dirname).filter(f =>
      /Routes\.ts$/.test(f),
    )) {
      const source = readFileSync(path.join(__dirname, file), 'utf8');
      for (const [, method, route] of source.matchAll(
        /router\.(get|post|put|patch|delete)\(\s*'([^']+)'/g,
      )) {
        declared.push(`${method.toUpperCase()} ${route}`);
      }
    }
    expect(FABRIC_ROUTES.map(routeName).sort()).toEqual(declared.sort());
  });

  it('requires only permissions the fabric registers', () => {
    const registered = fabricPermissions.map(p => p.name);
    for (const route of FABRIC_ROUTES.filter(r => r.permission !== 'none')) {
      expect(registered).toContain(route.permission);
    }
  });

  it('is what README.md shows (run `node scripts/render-rest-table.mjs` after changing it)', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(withRenderedRestTable(readme)).toBe(readme);
  });
});
