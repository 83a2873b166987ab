// A batch of placement requests shaped like the pods of Karpenter's BenchmarkScheduling<N>
// (sigs.k8s.io/karpenter scheduling_benchmark_test.go): five kinds in equal shares, in
// the same order, sizes drawn from the same number of choices. Each pod kind's constraint
// becomes the nearest thing a PlacementRequest can say (see KARPENTER_SHAPED_KINDS); the
// mapping is an analogy, not an equivalence, and the benchmarks say so when they print.
import { PlacementRequest, placementRequestSchema } from '@internal/backstage-plugin-fabric-common';

/** Deterministic draws, so every run decides the same 2 000 requests. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export interface WorkloadKind {
  /** The kind of pod in Karpenter's benchmark. */
  karpenter: string;
  /** What it becomes here. */
  fabric: string;
  request: (size: number, memory: number, i: number) => Record<string, unknown>;
}

// Karpenter's randomCPU() draws one of 5 sizes; they become 5 GPU counts. Its
// randomMemory() draws one of 6; they become 6 per-GPU memory needs.
const GPU_COUNTS = [1, 2, 4, 8, 16];
const GPU_MEMORY_GIB = [16, 20, 24, 40, 44, 80];

export const KARPENTER_SHAPED_KINDS: WorkloadKind[] = [
  {
    karpenter: 'generic (no constraint)',
    fabric: 'throughput, spot-first',
    request: (gpus, memory) => ({ intent: 'throughput', gpu: { minGpuMemoryGiB: memory, totalGpus: gpus } }),
  },
  {
    karpenter: 'topology spread over zones (maxSkew 1)',
    fabric: 'throughput over at least 2 AZ-IDs (minAzIds 2)',
    request: (gpus, memory) => ({ intent: 'throughput', minAzIds: 2, gpu: { minGpuMemoryGiB: memory, totalGpus: Math.max(2, gpus) } }),
  },
  {
    karpenter: 'topology spread over hostnames',
    fabric: 'throughput on 1-GPU nodes (gpusPerNode 1: one worker per node)',
    request: (gpus, memory) => ({ intent: 'throughput', gpu: { minGpuMemoryGiB: Math.min(memory, 44), gpusPerNode: 1, totalGpus: gpus } }),
  },
  {
    karpenter: 'self-affinity to one zone',
    fabric: 'tightly-coupled gang: whole in one AZ-ID on EFA, reserved-first',
    request: (gpus, memory) => ({ intent: 'tightly-coupled', gpu: { minGpuMemoryGiB: Math.max(memory, 40), gpusPerNode: 8, totalGpus: 8 * gpus } }),
  },
  {
    karpenter: 'anti-affinity on hostname (one per node)',
    fabric: 'balanced: one region, spread over its AZ-IDs, at most 70 % spot',
    request: (gpus, memory) => ({ intent: 'balanced', minAzIds: 2, gpu: { minGpuMemoryGiB: memory, totalGpus: Math.max(2, gpus) } }),
  },
];

/** `count` requests (2 000 for BenchmarkScheduling2000) as BenchmarkScheduling2000 builds its pods: five kinds of 400, in order. */
export function karpenterShapedRequests(count: number): Array<{ kind: WorkloadKind; request: PlacementRequest }> {
  const random = seededRandom(42);
  const perKind = Math.floor(count / KARPENTER_SHAPED_KINDS.length);
  const out: Array<{ kind: WorkloadKind; request: PlacementRequest }> = [];
  const add = (kind: WorkloadKind) => {
    const i = out.length;
    const gpus = GPU_COUNTS[Math.floor(random() * GPU_COUNTS.length)];
    const memory = GPU_MEMORY_GIB[Math.floor(random() * GPU_MEMORY_GIB.length)];
    const request = placementRequestSchema.parse({ entityRef: `component:default/bench-${i}`, ...kind.request(gpus, memory, i) });
    out.push({ kind, request });
  };
  for (const kind of KARPENTER_SHAPED_KINDS) for (let i = 0; i < perKind; i++) add(kind);
  // Karpenter fills the remainder of an uneven count with generic pods; so does this.
  while (out.length < count) add(KARPENTER_SHAPED_KINDS[0]);
  return out;
}
