import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The engine's folders depend on each other in one direction. Discovery reads the estate;
 * the mesh (`network/`) and the islands (`islands/`) change it; both sides share only the
 * AWS plumbing in `aws/`. If the mesh or the islands reached into discovery, or discovery
 * and the mesh into each other, a change to one would ripple through the other and the
 * folders would stop being separate providers.
 */

const SRC = __dirname;

/** Production source files: tests and their helpers may borrow fixtures from anywhere. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '__testUtils__' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** The top-level folder of `src/` a file sits in (`network`, `islands`, …). */
const folderOf = (path: string) => relative(SRC, path).split(sep)[0];

/** Every relative module a file imports or re-exports, as `src/`-level folders. */
function importedFolders(file: string): Array<{ folder: string; specifier: string }> {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map(match => match[1] ?? match[2])
    .filter(specifier => specifier.startsWith('.'));
  return specifiers.map(specifier => ({ specifier, folder: folderOf(resolve(dirname(file), specifier)) }));
}

const files = sourceFiles(SRC);
const edges = files.flatMap(file =>
  importedFolders(file).map(({ folder, specifier }) => ({
    from: folderOf(file),
    to: folder,
    where: `${relative(SRC, file)} imports '${specifier}'`,
  })),
);
const importsOf = (from: string, to: string) => edges.filter(e => e.from === from && e.to === to).map(e => e.where);

describe('engine architecture', () => {
  it('reads the imports it judges', () => {
    // If the parser missed imports, every rule below would pass on nothing.
    expect(importsOf('network', 'aws')).toContain("network/peerings.ts imports '../aws/paginate'");
    expect(importsOf('discovery', 'aws').length).toBeGreaterThan(0);
  });

  it.each(['network', 'islands'])('keeps %s/ out of discovery/', folder => {
    expect(importsOf(folder, 'discovery')).toEqual([]);
  });

  it('keeps discovery/ and network/ from importing each other', () => {
    expect(importsOf('discovery', 'network')).toEqual([]);
    expect(importsOf('network', 'discovery')).toEqual([]);
  });
});
