// Reads the spot availability traces kept in bench/data/spot-traces (measurements by Wu et
// al., "Can't Be Late", NSDI 2024; see that folder's README) and answers, per AZ-ID and
// moment, how many p3.2xlarge spot instances could be had.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TRACES_DIR = join(__dirname, '..', 'data', 'spot-traces', 'availability');
export const SINGLE_NODE_DIR = join(TRACES_DIR, '1-node', 'aws-02-15-2023');
export const SIXTEEN_NODE_DIR = join(TRACES_DIR, '16-node', 'aws-08-27-2023');

/** One zone's measurements: `data[i]` instances could be obtained at `i × gapSeconds`. */
export interface ZoneTrace {
  /** The AZ name in the measuring account, e.g. `us-east-1a` (not an AZ-ID). */
  zoneName: string;
  region: string;
  gapSeconds: number;
  data: number[];
}

export function loadZoneTraces(dir: string): ZoneTrace[] {
  return readdirSync(dir)
    .filter(file => file.endsWith('.json'))
    .sort()
    .map(file => {
      const match = /^(([a-z]{2}-[a-z]+-\d)[a-z])_/.exec(file);
      if (!match) throw new Error(`${file}: the file name does not start with an AZ name`);
      const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { metadata: { gap_seconds: number }; data: number[] };
      return { zoneName: match[1], region: match[2], gapSeconds: parsed.metadata.gap_seconds, data: parsed.data };
    });
}

/** A zone trace keyed by the physical zone it measured. */
export interface AzTrace extends ZoneTrace {
  azId: string;
}

/**
 * Spot availability per AZ-ID over time. Time is seconds from the start of each trace: the
 * two sets were measured months apart, so they are replayed side by side, not matched by date.
 */
export class SpotAvailability {
  readonly byAzId: Map<string, AzTrace>;

  constructor(readonly traces: AzTrace[]) {
    this.byAzId = new Map(traces.map(t => [t.azId, t]));
  }

  /** Instances obtainable in the AZ-ID at second `at`; 0 where nothing was measured. */
  instancesAt(azId: string, at: number): number {
    const trace = this.byAzId.get(azId);
    if (!trace) return 0;
    const index = Math.floor(at / trace.gapSeconds);
    return index < trace.data.length ? trace.data[index] : 0;
  }

  /** Seconds the shortest trace covers. */
  shortestSpanSeconds(): number {
    return Math.min(...this.traces.map(t => t.data.length * t.gapSeconds));
  }

  /** Share of the ticks (every `stepSeconds` over `spanSeconds`) at which any of the AZ-IDs held `instances`. */
  shareOfTicksWithAny(azIds: string[], instances: number, spanSeconds: number, stepSeconds: number): number {
    let hits = 0;
    let ticks = 0;
    for (let at = 0; at < spanSeconds; at += stepSeconds) {
      ticks++;
      if (azIds.some(azId => this.instancesAt(azId, at) >= instances)) hits++;
    }
    return ticks ? hits / ticks : 0;
  }
}
