import {
  EFA_LOCALITY_RULE,
  InstanceTypeInfo,
  Inventory,
  PlacementRequest,
  RefusalRule,
} from '@internal/backstage-plugin-fabric-common';
import { compareStrings, typesMatchingNeed } from './candidates';

// Why a gang cannot be spread is said in the words of EFA_LOCALITY_RULE: EFA's SRD
// traffic is not IP-routed, it stays inside one VPC and one AZ (docs/aws-facts.md §0,
// §2.1), so neither peering nor a Transit Gateway can carry it.

export interface GuardrailVerdict {
  /** Set when the request asks for something EFA cannot do: answer 'refused'. */
  refusal?: string;
  /** The rule behind `refusal`, so callers answer it without reading its text. */
  rule?: RefusalRule;
  /** Plain-words notes about constraints that still hold. */
  notes: string[];
}

/**
 * Checks a request against what EFA can do, before any capacity is looked at. Only
 * requests that can never be satisfied are refused; requests that merely do not fit now
 * are answered 'cannot-place-now' by the solver.
 */
export function checkGuardrails(request: PlacementRequest, inventory: Inventory): GuardrailVerdict {
  const notes: string[] = [];
  if (request.intent !== 'tightly-coupled') return { notes };

  if (request.minAzIds !== undefined && request.minAzIds > 1) {
    return {
      notes,
      rule: 'efa-locality',
      refusal: `Refused: minAzIds ${request.minAzIds} asks to spread a tightly-coupled gang over several AZ-IDs. ${EFA_LOCALITY_RULE}. Use the throughput or balanced intent to spread work across AZ-IDs, or drop minAzIds.`,
    };
  }

  const matching = typesMatchingNeed(request, inventory);
  const efa = matching.filter(t => t.efaSupported);
  if (matching.length > 0 && efa.length === 0) {
    return {
      notes,
      rule: 'efa-unsupported-type',
      refusal: `Refused: none of the requested types can use EFA (${names(matching)}). A tightly-coupled gang needs EFA inside one AZ-ID; ${EFA_LOCALITY_RULE}. Ask for an EFA-capable type such as ${suggestEfaTypes(inventory, matching)}, or use the throughput intent.`,
    };
  }

  if ((request.allowedRegions?.length ?? 0) > 1) {
    notes.push(
      `allowedRegions names ${request.allowedRegions!.length} regions: the gang may land in any of them, but always whole in one AZ-ID.`,
    );
  }
  if (request.dataMovement?.length) {
    notes.push('Data movement is priced into the choice of AZ-ID; it never splits the gang.');
  }
  return { notes };
}

/**
 * The answer for a gang that no single AZ-ID can hold now. The gang is never split to
 * make it fit: the caller learns the largest gang that would fit instead.
 */
export function gangDoesNotFit(request: PlacementRequest, largestFeasibleGpus: number): string {
  const fits =
    largestFeasibleGpus > 0
      ? `the largest gang any single AZ-ID can hold now is ${largestFeasibleGpus} GPUs`
      : 'no AZ-ID can hold even one node of it now';
  return `Cannot place now: ${request.gpu.totalGpus} GPUs do not fit in one AZ-ID with the current quota, reservations and capacity; ${fits}. The gang is not split across AZ-IDs: ${EFA_LOCALITY_RULE}.`;
}

function names(types: InstanceTypeInfo[]): string {
  return types.map(t => t.instanceType).join(', ');
}

/** EFA-capable types with the same accelerator first (g5.xlarge → g5.48xlarge), then the rest. */
function suggestEfaTypes(inventory: Inventory, requested: InstanceTypeInfo[]): string {
  const accelerators = new Set(requested.map(t => t.acceleratorName));
  const efa = inventory.instanceTypes
    .filter(t => t.efaSupported && t.acceleratorCount > 0)
    .sort(
      (a, b) =>
        Number(accelerators.has(b.acceleratorName)) - Number(accelerators.has(a.acceleratorName)) ||
        compareStrings(a.instanceType, b.instanceType),
    )
    .map(t => t.instanceType);
  return efa.length ? efa.slice(0, 3).join(', ') : 'an EFA-capable GPU type';
}
