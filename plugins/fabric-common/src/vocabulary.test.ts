import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  AZ_ID_PATTERN,
  azIdSchema,
  isAzId,
  MESH_ENDPOINT_PATTERN,
  regionSchema,
} from './vocabulary';

const REPO = resolve(__dirname, '../../..');

/** Production TypeScript sources of every package: what ships, not what tests it. */
function productionSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === 'node_modules' || name === '__testUtils__' || name === 'dist') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) && name !== 'setupTests.ts') files.push(path);
    }
  };
  for (const group of ['plugins', 'packages']) {
    for (const pkg of readdirSync(join(REPO, group))) {
      const src = join(REPO, group, pkg, 'src');
      if (statSync(join(REPO, group, pkg)).isDirectory() && existsDir(src)) walk(src);
    }
  }
  return files;
}

function existsDir(path: string) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

describe('the AZ-ID vocabulary', () => {
  it('accepts AZ-IDs and refuses AZ names, everywhere the same', () => {
    for (const id of ['use1-az4', 'usw2-az1', 'apne1-az2', 'euw1-az3', 'usgw1-az1', 'use1-az12']) {
      expect(isAzId(id)).toBe(true);
      expect(azIdSchema.safeParse(id).success).toBe(true);
    }
    for (const notId of ['us-east-1a', 'use1az4', 'use1-az', 'USE1-AZ4', '', 'use1-az4 ']) {
      expect(isAzId(notId)).toBe(false);
      const parsed = azIdSchema.safeParse(notId);
      expect(parsed.success).toBe(false);
      expect(parsed.success ? '' : parsed.error.issues[0].message).toBe(
        'must be an AZ-ID such as use1-az4 (not an AZ name)',
      );
    }
    expect(regionSchema.safeParse('us-gov-west-1').success).toBe(true);
    expect(MESH_ENDPOINT_PATTERN.test('222222222222/us-east-1/use1-az4')).toBe(true);
    expect(MESH_ENDPOINT_PATTERN.test('222222222222/us-east-1/us-east-1a')).toBe(false);
  });

  it('is defined once: no production source outside fabric-common defines its own AZ-ID pattern', () => {
    // An AZ-ID pattern is recognisable by "-az" followed by a digit class in its source text.
    const ownPattern = /-az\\d|-az\[0-9\]/;
    const home = join(REPO, 'plugins/fabric-common/src/vocabulary.ts');
    const sources = productionSources();
    expect(sources.length).toBeGreaterThan(100);
    expect(sources).toContain(home);
    const offenders = sources
      .filter(file => file !== home)
      .flatMap(file =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(REPO, file)}:${i + 1}` }))
          .filter(({ line }) => ownPattern.test(line))
          .map(({ at, line }) => `${at}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
    expect(ownPattern.test(readFileSync(home, 'utf8'))).toBe(true);
    expect(AZ_ID_PATTERN.source).toContain('-az');
  });
});
