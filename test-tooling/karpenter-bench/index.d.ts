/** The environment variable that skips Karpenter's benchmark when set (not "0"/"false"). */
export declare const SKIP_ENV: 'FABRIC_BENCH_SKIP_KARPENTER';

export type KarpenterBenchAvailability = { available: true } | { available: false; reason: string };

/** Whether Karpenter's benchmark can run here (Go present, not skipped), and if not, why. */
export declare function karpenterBenchAvailability(): KarpenterBenchAvailability;

export interface KarpenterBenchBuild {
  /** ~/.cache/cloudspectra-fabric/karpenter-bench/v<version>/scheduling.test */
  binary: string;
  /** e.g. "v1.15.0" */
  karpenterVersion: string;
  /** The compiler that built the binary, e.g. "go1.27.3". */
  goVersion: string;
  /** How long the binary's build took when it was compiled. */
  buildSeconds: number;
  /** Whether this call compiled it (false: the cached binary was fresh). */
  built: boolean;
}

export declare function buildKarpenterSchedulingBenchmark(options?: {
  log?: (line: string) => void;
}): Promise<KarpenterBenchBuild>;

/** One result line of Go's benchmark output. */
export interface KarpenterBenchResult {
  /** e.g. "BenchmarkScheduling2000" */
  name: string;
  /** GOMAXPROCS suffix of the name ("-2"). */
  procs: number;
  /** b.N: how many times the timed loop ran. */
  iterations: number;
  nsPerOp: number;
  secondsPerOp: number;
  /** Pods one op schedules: Karpenter's "pods" metric, else the number in the name. */
  podsPerOp: number;
  /** NodeClaims the first op created (Karpenter's "nodes" metric). */
  nodes?: number;
  podsPerSec: number;
  /** "reported": Karpenter's own pods/sec metric; "derived": podsPerOp / secondsPerOp. */
  podsPerSecSource: 'reported' | 'derived';
  bytesPerOp?: number;
  allocsPerOp?: number;
  /** Every value/unit pair of the line. */
  metrics: Record<string, number>;
}

export declare function parseGoBenchmarkOutput(output: string): {
  header: Record<string, string>;
  results: KarpenterBenchResult[];
};

export interface KarpenterSchedulingBenchmarkRun {
  karpenterVersion: string;
  goVersion: string;
  binary: string;
  /** Seconds this call spent compiling (0 when the cached binary was fresh). */
  buildWallSeconds: number;
  /** How long the cached binary's build took when it was compiled. */
  recordedBuildSeconds: number;
  /** Wall time of the benchmark binary (includes Karpenter's untimed setup and warm-up op). */
  runWallSeconds: number;
  /** CPU seconds (user + system) the binary used over the whole run, setup included. */
  runCpuSeconds: number;
  command: string;
  cpu?: string;
  goos?: string;
  goarch?: string;
  pkg?: string;
  /** One entry per benchmark and repetition (-test.count). */
  results: KarpenterBenchResult[];
  /** Go's output, unchanged. */
  output: string;
}

/**
 * Builds (once, cached) and runs Karpenter's scheduling benchmark. `bench` is a name
 * (anchored) or a -test.bench regular expression; `benchtime` is Go's ("1x", "3x", "20s").
 */
export declare function runKarpenterSchedulingBenchmark(options?: {
  bench?: string;
  benchtime?: string;
  count?: number;
  log?: (line: string) => void;
  extraArgs?: string[];
}): Promise<KarpenterSchedulingBenchmarkRun>;
