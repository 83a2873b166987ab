import { Config } from '@backstage/config';
import {
  FabricConfig,
  FabricConfigError,
  parseFabricConfig,
} from '@internal/backstage-plugin-fabric-node';

/**
 * Reads and validates the `fabric` block. Backstage's own schema check only covers
 * types; this also checks formats (role ARNs, account ids, regions) and refuses
 * unknown keys, so a typo stops the backend instead of being ignored.
 */
export function readFabricConfig(config: Config): FabricConfig {
  const raw = config.getOptional('fabric');
  const parsed = parseFabricConfig(raw);
  if (parsed.estate.source === 'aws') {
    throw new FabricConfigError(
      'fabric.estate.source',
      "'aws' needs live discovery, which this release does not include yet; use 'demo'",
    );
  }
  return parsed;
}
