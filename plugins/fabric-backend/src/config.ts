import { Config } from '@backstage/config';
import {
  FabricConfig,
  parseFabricConfig,
} from '@internal/backstage-plugin-fabric-node';

/**
 * Reads and validates the `fabric` block. Backstage's own schema check only covers
 * types; this also checks formats (role ARNs, account ids, regions) and refuses
 * unknown keys, so a typo stops the backend instead of being ignored.
 */
export function readFabricConfig(config: Config): FabricConfig {
  const raw = config.getOptional('fabric');
  return parseFabricConfig(raw);
}
