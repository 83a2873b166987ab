import { gangFill, Allocation, AllocationLimits } from './allocate';
import { Candidate, compareStrings, offeringKey, round2 } from './candidates';
import { gangDoesNotFit } from './guardrails';
import { HOURS_PER_MONTH } from './networkCost';
import { cannotPlace, IntentInput, Outcome, placed, roundDownTo } from './outcome';

/** Tightly-coupled: one gang, all-or-nothing, in one AZ-ID on one EFA-capable type. */
export function planGang({ request, candidates, rejected, budget, reasons }: IntentInput): Outcome {
  // One instance type per gang: NCCL rings run at the slowest member's pace, some EFA
  // generations do not talk to others (p4d/p4de, docs/aws-facts.md §2.1), and one EFA NIC layout
  // per node class stays correct.
  const islands = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const key = `${c.offering.azId}|${c.offering.instanceType}`;
    islands.set(key, [...(islands.get(key) ?? []), c]);
  }
  const limits: AllocationLimits = { maxHourlyPrice: request.maxHourlyPrice };
  const tries = [...islands.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([, members]) => {
      const info = members[0].info;
      const nodesWanted = Math.ceil(request.gpu.totalGpus / info.acceleratorCount);
      const allocation = new Allocation(budget.clone(), limits);
      const held = gangFill(members, nodesWanted, allocation);
      const capacityAllocation = new Allocation(budget.clone(), limits);
      const capacity = gangFill(members, Number.POSITIVE_INFINITY, capacityAllocation);
      const unlimited = gangFill(members, nodesWanted, new Allocation(budget.clone(), {}));
      const reservedNodes = [...allocation.nodes.entries()]
        .filter(([c]) => c.offering.capacityType === 'reserved')
        .reduce((sum, [, n]) => sum + n, 0);
      const accounts = new Set([...allocation.nodes.keys()].map(c => c.offering.accountId)).size;
      const meanScore = members.reduce((s, c) => s + c.score, 0) / members.length;
      return {
        azId: members[0].offering.azId,
        region: members[0].offering.region,
        instanceType: info.instanceType,
        members,
        nodesWanted,
        held,
        fits: held === nodesWanted,
        fitsWithoutPriceCap: unlimited === nodesWanted,
        capacityGpus: capacity * info.acceleratorCount,
        allocation,
        reservedNodes,
        accounts,
        meanScore,
        hourly: allocation.computePerHour + members[0].networkPerMonthAllHere / HOURS_PER_MONTH,
      };
    });

  const fitting = tries
    .filter(t => t.fits)
    .sort(
      (a, b) =>
        (request.spotPolicy === 'reserved-first' ? b.reservedNodes - a.reservedNodes : 0) ||
        a.hourly - b.hourly ||
        a.accounts - b.accounts ||
        b.meanScore - a.meanScore ||
        compareStrings(a.azId, b.azId) ||
        compareStrings(a.instanceType, b.instanceType),
    );

  if (fitting.length === 0) {
    const largest = Math.max(0, ...tries.map(t => roundDownTo(t.capacityGpus, request.gpu.gpusPerNode)));
    const why = [gangDoesNotFit(request, largest)];
    if (request.maxHourlyPrice && tries.some(t => t.fitsWithoutPriceCap)) {
      why.push(`Some AZ-IDs could hold the gang, but not within maxHourlyPrice $${request.maxHourlyPrice}/h.`);
    }
    for (const t of tries) {
      why.push(`${t.azId} (${t.region}) ${t.instanceType}: room for ${t.capacityGpus} GPUs.`);
    }
    return cannotPlace(rejected, [...reasons, ...why], largest);
  }

  const chosen = fitting[0];
  const mix = [...chosen.allocation.nodes.entries()]
    .map(([c, n]) => `${n} ${c.offering.capacityType}${c.offering.reservationId ? ` (${c.offering.reservationId})` : ''} in ${c.accountName}`)
    .join(', ');
  reasons.push(
    `Chose ${chosen.azId} (${chosen.region}) for all ${chosen.nodesWanted} × ${chosen.instanceType}: ${mix}.${
      chosen.accounts > 1
        ? ' Members come from several accounts into the same AZ-ID, which RAM-shared island subnets allow; EFA stays inside that one AZ-ID.'
        : ''
    }`,
  );
  if (fitting.length > 1) {
    reasons.push(
      `Next best: ${fitting[1].azId} ${fitting[1].instanceType} ($${round2(fitting[1].hourly)}/h vs $${round2(chosen.hourly)}/h${
        request.spotPolicy === 'reserved-first' ? `, ${fitting[1].reservedNodes} vs ${chosen.reservedNodes} reserved nodes` : ''
      }).`,
    );
  }
  const otherIslands = tries
    .filter(t => t !== chosen)
    .flatMap(t =>
      t.members.map(c => ({
        ...offeringKey(c.offering),
        reason: t.fits
          ? `the gang fits in ${t.azId} too, but ${chosen.azId} ranked higher (${
              request.spotPolicy === 'reserved-first' ? 'more reserved nodes, then ' : ''
            }lower cost: $${round2(chosen.hourly)}/h vs $${round2(t.hourly)}/h)`
          : `${t.azId} can hold only ${t.held} of the ${t.nodesWanted} ${t.instanceType} nodes the gang needs in one AZ-ID`,
      })),
    );
  return placed(request, chosen.allocation, chosen.members, [...rejected, ...otherIslands], reasons);
}
