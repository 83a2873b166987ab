import {
  CreateFleetCommand,
  CreateFleetCommandInput,
  CreateLaunchTemplateCommand,
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
  FleetLaunchTemplateOverridesRequest,
  Instance,
  Tag,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CapacityType, CellRef, cellId } from '@internal/backstage-plugin-fabric-common';
import { AccountCredentialsRef, AwsClientFactory } from '../../aws/AwsClientFactory';
import { AwsRateLimits } from '../../aws/AwsRateLimits';
import { describeAwsError, isAccessDenied, isInsufficientCapacity, isThrottling } from '../../aws/errors';
import { collectPages } from '../../aws/paginate';
import { CLUSTER_TAG, PLACEMENT_LABEL } from '../../compile/labels';
import { islandLaunchTemplateName } from '../../islands/planIsland';
import { InsufficientCapacityCache } from '../../placement/InsufficientCapacityCache';
import { NodeClassView } from '../decide';
import { LaunchOffering, LaunchOutcome, NODECLAIM_TAG, NODEPOOL_TAG, NodeClaimDecision, OWNER_TAG } from '../types';

/** Tag on every instance of a gang: gang instances are tagged with their claims only after the fleet answers. */
export const GANG_TAG = 'fabric.cloudspectra.io/gang';

/** A decided claim once its NodeClaim exists: the UID is the fleet's ClientToken. */
export interface ClaimToLaunch {
  claim: NodeClaimDecision;
  uid: string;
  /** The fabric placement the claim's pods belong to, for the placement tag. */
  placement?: string;
}

export interface LaunchDependencies {
  clients: AwsClientFactory;
  rateLimits: AwsRateLimits;
  /** The enrolled account of a cell: how to assume its role. */
  accountOf(accountId: string): AccountCredentialsRef | undefined;
  nodeClassOf(name: string): NodeClassView | undefined;
  insufficientCapacity: InsufficientCapacityCache;
  /** Value of the owner tag: which fabric (hub cluster) owns the instance; GC lists by it. */
  owner: string;
  /** Name of the hub cluster the nodes join (cluster tag). */
  cluster: string;
  /**
   * The AMI of nodes launched from a per-NodeClass template (islands bring their own
   * template). Resolved by the caller: an EKS-optimized accelerated AMI in production.
   */
  imageIdFor(nodeClass: NodeClassView): string;
  /** Node bootstrap (nodeadm config) for the per-NodeClass template, base64 or plain. */
  userDataFor?(nodeClass: NodeClassView): string | undefined;
  now?: () => Date;
}

/** What happened to one fleet call: the claims it was for and what AWS answered. */
export interface ClaimLaunchResult {
  claims: string[];
  gang?: string;
  outcome: LaunchOutcome;
  /** Offerings AWS refused for capacity; they are in the ICE cache now. */
  failedOfferings: LaunchOffering[];
  /** Instances of a partial gang, terminated at once. */
  terminatedPartial?: string[];
}

const INSTANCE_LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** What a launch failure means for the loop. */
export type LaunchFailureKind = 'insufficient-capacity' | 'access-denied' | 'throttled' | 'unconfirmed' | 'failed';

/** Node's codes for a connection that broke or never answered. */
const CONNECTION_ERROR_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Whether a thrown error leaves open whether AWS acted: no HTTP answer at all (a broken
 * connection, a timeout) or a server error. Anything with a 4xx answer was refused.
 */
function answerIsMissing(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const shape = error as { code?: string; name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = shape.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500;
  // The SDK's HTTP handler names broken connections and timeouts TimeoutError. An error
  // from another JavaScript realm (a VM context) reaches the caller only as the text
  // "AWS SDK error wrapper for TimeoutError: …".
  const wrapped = /^AWS SDK error wrapper for (\w+)/.exec(shape.message ?? '')?.[1];
  return CONNECTION_ERROR_CODES.has(shape.code ?? '') || shape.name === 'TimeoutError' || wrapped === 'TimeoutError';
}

/**
 * Classifies a launch failure: an error the SDK threw for the whole call, or one entry of
 * an instant fleet's `Errors` (`{ ErrorCode, ErrorMessage }`, which EC2 returns with
 * HTTP 200 instead of throwing). Capacity codes (ICE, spot and vCPU limits, `Unsupported`)
 * feed the insufficient-capacity cache; throttling backs off; AccessDenied and
 * UnauthorizedOperation make the cell unusable until its role is fixed. A call that got
 * no answer, or a server error, is unconfirmed: it may have launched, so the claim is
 * launched again with its ClientToken rather than given up (or its cell blamed).
 */
export function classifyLaunchFailure(failure: unknown): LaunchFailureKind {
  const shape = failure && typeof failure === 'object' && 'ErrorCode' in failure ? { name: String((failure as { ErrorCode?: string }).ErrorCode ?? '') } : failure;
  if (isThrottling(shape)) return 'throttled';
  if (isAccessDenied(shape)) return 'access-denied';
  if (isInsufficientCapacity(shape)) return 'insufficient-capacity';
  if (shape === failure && answerIsMissing(failure)) return 'unconfirmed';
  return 'failed';
}


/**
 * Launches decided claims: one EC2 `CreateFleet` (type `instant`) per claim, or per gang,
 * in the claim's own account and region.
 *
 * Idempotent twice over: the ClientToken is the NodeClaim UID, and — because a restarted
 * controller cannot rely on every EC2 implementation honouring it (moto ignores it) — the
 * instances already tagged with the claim's name are looked up first, as Karpenter does.
 *
 * Overrides go in the claim's offering order. A claim whose offerings mix spot and
 * on-demand gets one fleet call per capacity type in that order: a fleet has one default
 * capacity type, and an ICE'd spot request falls back to on-demand in the same batch.
 */
export async function launchClaims(claims: ClaimToLaunch[], deps: LaunchDependencies): Promise<ClaimLaunchResult[]> {
  const units = new Map<string, ClaimToLaunch[]>();
  for (const item of claims) {
    const key = item.claim.gang ? `gang:${cellId(item.claim.cell)}:${item.claim.gang}` : `claim:${item.claim.name}`;
    const list = units.get(key) ?? [];
    list.push(item);
    units.set(key, list);
  }
  return Promise.all(
    [...units.values()].map(unit => launchUnit(unit.sort((a, b) => a.claim.name.localeCompare(b.claim.name)), deps)),
  );
}

async function launchUnit(unit: ClaimToLaunch[], deps: LaunchDependencies): Promise<ClaimLaunchResult> {
  const lead = unit[0];
  const { claim } = lead;
  const gang = claim.gang;
  const names = unit.map(u => u.claim.name);
  const base = { claims: names, gang, failedOfferings: [] as LaunchOffering[] };
  const account = deps.accountOf(claim.cell.accountId);
  const nodeClass = deps.nodeClassOf(claim.nodeClass);
  if (!account) return { ...base, outcome: { status: 'failed', detail: `account ${claim.cell.accountId} is not enrolled` } };
  if (!nodeClass) return { ...base, outcome: { status: 'failed', detail: `FabricNodeClass ${claim.nodeClass} not found` } };
  if (claim.offerings.length === 0) return { ...base, outcome: { status: 'failed', detail: `NodeClaim ${claim.name} lists no offering` } };
  const ec2 = deps.clients.ec2(claim.cell, account);
  const api = cellApi(ec2, claim.cell, deps.rateLimits);

  let survivors: string[] = [];
  const withSurvivors = (result: ClaimLaunchResult): ClaimLaunchResult =>
    survivors.length > 0 ? { ...result, terminatedPartial: [...survivors, ...(result.terminatedPartial ?? [])] } : result;
  try {
    const existing = await findClaimInstances(api, names, gang, deps.owner);
    if (existing.length >= unit.length) {
      // A gang whose launch answered but whose members were not all tagged yet.
      if (gang) await tagGangMembers(api, existing, unit);
      return { ...base, outcome: launched(existing.slice(0, unit.length), unit, nodeClass) };
    }
    if (gang && existing.length > 0) {
      // A gang launch that died half-way: all or nothing, so its survivors go first.
      await terminate(api, existing.map(i => i.InstanceId!));
      survivors = existing.map(i => i.InstanceId!);
    }
    return withSurvivors(await launchFleets(unit, deps, { api, ec2, nodeClass, base }));
  } catch (error) {
    return withSurvivors(failedLaunch(error, claim, deps, base));
  }
}

interface FleetContext {
  api: CellApi;
  ec2: EC2Client;
  nodeClass: NodeClassView;
  base: { claims: string[]; gang?: string; failedOfferings: LaunchOffering[] };
}

/** One fleet call per capacity type of the claim, in its order, until one launches. */
async function launchFleets(unit: ClaimToLaunch[], deps: LaunchDependencies, context: FleetContext): Promise<ClaimLaunchResult> {
  const { api, ec2, nodeClass, base } = context;
  const lead = unit[0];
  const { claim } = lead;
  const gang = claim.gang;
  const templates = await launchTemplatesFor(api, nodeClass, claim.offerings, deps);
  const failedOfferings: LaunchOffering[] = [];
  const details: string[] = [];
  const capacityTypes = [...new Set(claim.offerings.map(o => o.capacityType))];
  for (const [attempt, capacityType] of capacityTypes.entries()) {
    const offerings = claim.offerings.filter(o => o.capacityType === capacityType);
    const request = fleetRequest({
      unit,
      offerings,
      capacityType,
      templates,
      nodeClass,
      tags: instanceTags(lead, deps),
      // The same token with a different request is refused by EC2, so the fallback gets its own.
      clientToken: attempt === 0 ? lead.uid : `${lead.uid}-${capacityType}`,
    });
    let response;
    try {
      response = await api.mutate(() => ec2.send(new CreateFleetCommand(request)), true);
    } catch (error) {
      if (classifyLaunchFailure(error) !== 'unconfirmed') throw error;
      return {
        ...base,
        failedOfferings,
        outcome: { status: 'unconfirmed', detail: `CreateFleet ${describeAwsError(error)}; launching again with the same ClientToken` },
      };
    }
    const instanceIds = (response.Instances ?? []).flatMap(i => i.InstanceIds ?? []);
    const refused = (response.Errors ?? []).map(e => ({
      kind: classifyLaunchFailure(e),
      code: e.ErrorCode ?? '',
      message: e.ErrorMessage ?? '',
      offering: offeringOf(offerings, e.LaunchTemplateAndOverrides?.Overrides),
    }));
    for (const error of refused) {
      if (error.kind !== 'insufficient-capacity') continue;
      const failed = error.offering ? [error.offering] : offerings;
      for (const offering of failed) markInsufficient(deps, offering, `${error.code}: ${error.message}`);
      failedOfferings.push(...failed.filter(f => !failedOfferings.includes(f)));
    }
    details.push(...refused.map(e => `${e.code}: ${e.message}`));

    const answered = instanceIds.length > 0 ? await describe(api, instanceIds) : [];
    const dead = answered.filter(i => !INSTANCE_LIVE_STATES.includes(i.State?.Name ?? '')).map(i => i.InstanceId!);
    if (dead.length > 0) {
      // EC2 answered the ClientToken with what it launched before (the claim was launched
      // and its instances went away before the launch was recorded). The token is spent:
      // the claim is replaced, and what is left of a gang goes with it.
      const alive = answered.map(i => i.InstanceId!).filter(id => !dead.includes(id));
      if (gang) await terminate(api, alive);
      return {
        ...base,
        failedOfferings,
        ...(gang && alive.length > 0 ? { terminatedPartial: alive } : {}),
        outcome: {
          status: 'gone',
          instanceIds: dead,
          detail: `the instances NodeClaim ${claim.name}'s launch created are gone (${dead.join(', ')}); the claim is replaced`,
        },
      };
    }
    if (instanceIds.length >= unit.length) {
      if (gang) await tagGangMembers(api, answered, unit);
      return { ...base, failedOfferings, outcome: launched(answered, unit, nodeClass) };
    }
    if (instanceIds.length > 0) {
      // Fewer than the gang needs (MinTargetCapacity should prevent it; a partial answer
      // is still possible): release them at once, the gang waits for the whole.
      await terminate(api, instanceIds);
      for (const offering of offerings) markInsufficient(deps, offering, `gang got ${instanceIds.length} of ${unit.length}`);
      return {
        ...base,
        failedOfferings: [...failedOfferings, ...offerings],
        terminatedPartial: instanceIds,
        outcome: {
          status: 'insufficient-capacity',
          tried: claim.offerings,
          detail: `gang ${gang} got ${instanceIds.length} of ${unit.length} instances; terminated them`,
        },
      };
    }
    const accessDenied = refused.find(e => e.kind === 'access-denied');
    if (accessDenied) {
      return { ...base, failedOfferings, outcome: { status: 'access-denied', detail: `${accessDenied.code}: ${accessDenied.message}` } };
    }
    if (refused.some(e => e.kind === 'throttled') && !refused.some(e => e.kind === 'insufficient-capacity')) {
      return { ...base, failedOfferings, outcome: { status: 'throttled', detail: details.join('; ') } };
    }
    if (refused.length > 0 && !refused.some(e => e.kind === 'insufficient-capacity')) {
      return { ...base, failedOfferings, outcome: { status: 'failed', detail: details.join('; ') } };
    }
    // No capacity for this capacity type: try the next one.
  }
  return {
    ...base,
    failedOfferings,
    outcome: { status: 'insufficient-capacity', tried: claim.offerings, detail: details.join('; ') || 'the fleet launched nothing' },
  };
}

function failedLaunch(error: unknown, claim: NodeClaimDecision, deps: LaunchDependencies, base: FleetContext['base']): ClaimLaunchResult {
  const detail = describeAwsError(error);
  const kind = classifyLaunchFailure(error);
  if (kind === 'throttled') return { ...base, outcome: { status: 'throttled', detail } };
  if (kind === 'access-denied') return { ...base, outcome: { status: 'access-denied', detail } };
  // No answer from a look-up or a tagging call: the claim is launched again with its token.
  if (kind === 'unconfirmed') return { ...base, outcome: { status: 'unconfirmed', detail } };
  if (kind === 'insufficient-capacity') {
    for (const offering of claim.offerings) markInsufficient(deps, offering, detail);
    return {
      ...base,
      failedOfferings: claim.offerings,
      outcome: { status: 'insufficient-capacity', tried: claim.offerings, detail },
    };
  }
  return { ...base, outcome: { status: 'failed', detail } };
}

function markInsufficient(deps: LaunchDependencies, offering: LaunchOffering, detail: string) {
  deps.insufficientCapacity.markInsufficient(
    { instanceType: offering.instanceType, azId: offering.azId, capacityType: offering.capacityType },
    { now: deps.now?.(), detail },
  );
}

function offeringOf(
  offerings: LaunchOffering[],
  override: { InstanceType?: string; SubnetId?: string } | undefined,
): LaunchOffering | undefined {
  if (!override) return undefined;
  return offerings.find(o => o.instanceType === override.InstanceType && (!override.SubnetId || o.subnetId === override.SubnetId));
}

function instanceTags(lead: ClaimToLaunch, deps: LaunchDependencies): Tag[] {
  const { claim } = lead;
  const tags: Tag[] = [
    { Key: OWNER_TAG, Value: deps.owner },
    { Key: CLUSTER_TAG, Value: deps.cluster },
    { Key: NODEPOOL_TAG, Value: claim.nodePool },
    { Key: 'fabric.cloudspectra.io/nodeclass', Value: claim.nodeClass },
  ];
  if (claim.gang) {
    tags.push({ Key: GANG_TAG, Value: claim.gang }, { Key: 'Name', Value: `fabric-${claim.gang}` });
  } else {
    tags.push({ Key: NODECLAIM_TAG, Value: claim.name }, { Key: 'Name', Value: claim.name });
  }
  if (lead.placement) tags.push({ Key: PLACEMENT_LABEL, Value: lead.placement });
  return tags;
}

function fleetRequest(args: {
  unit: ClaimToLaunch[];
  offerings: LaunchOffering[];
  capacityType: CapacityType;
  templates: LaunchTemplates;
  nodeClass: NodeClassView;
  tags: Tag[];
  clientToken: string;
}): CreateFleetCommandInput {
  const { unit, offerings, capacityType, templates, nodeClass } = args;
  const gang = unit.length > 1 || Boolean(unit[0].claim.gang);
  // One launch template config per template, overrides keeping the claim's global order.
  const configs = new Map<string, { LaunchTemplateSpecification: LaunchTemplateRef; Overrides: FleetLaunchTemplateOverridesRequest[] }>();
  offerings.forEach((offering, priority) => {
    const template = templates.byType.get(offering.instanceType) ?? templates.default!;
    let config = configs.get(template.LaunchTemplateId);
    if (!config) {
      config = { LaunchTemplateSpecification: template, Overrides: [] };
      configs.set(template.LaunchTemplateId, config);
    }
    config.Overrides.push({
      InstanceType: offering.instanceType as FleetLaunchTemplateOverridesRequest['InstanceType'],
      // Lower is tried first by the prioritized strategies.
      Priority: priority,
      // An island's EFA template carries the network interfaces (with the island's subnet
      // and security group) and the placement group; a subnet here would conflict with them.
      ...(templates.carriesNetwork
        ? {}
        : {
            SubnetId: offering.subnetId,
            // Member accounts see a RAM-shared placement group by its id only.
            ...(nodeClass.spec.placementGroupId ? { Placement: { GroupId: nodeClass.spec.placementGroupId } } : {}),
          }),
    });
  });
  const allOrNothing = gang
    ? { SingleInstanceType: true, SingleAvailabilityZone: true, MinTargetCapacity: unit.length }
    : {};
  return {
    Type: 'instant',
    ClientToken: args.clientToken,
    LaunchTemplateConfigs: [...configs.values()],
    TargetCapacitySpecification: {
      TotalTargetCapacity: unit.length,
      DefaultTargetCapacityType: capacityType === 'spot' ? 'spot' : 'on-demand',
    },
    ...(capacityType === 'spot'
      ? { SpotOptions: { AllocationStrategy: 'price-capacity-optimized', ...allOrNothing } }
      : { OnDemandOptions: { AllocationStrategy: offerings.length > 1 ? 'prioritized' : 'lowest-price', ...allOrNothing } }),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: args.tags },
      { ResourceType: 'volume', Tags: args.tags },
      { ResourceType: 'fleet', Tags: args.tags },
    ],
  };
}

function launched(instances: Instance[], unit: ClaimToLaunch[], nodeClass: NodeClassView): LaunchOutcome {
  const subnets = new Map(nodeClass.resolved.subnets.map(s => [s.id, s]));
  const sorted = [...instances].sort((a, b) => (a.InstanceId ?? '').localeCompare(b.InstanceId ?? ''));
  return {
    status: 'launched',
    instances: sorted.map((instance, i) => {
      const taggedClaim = instance.Tags?.find(t => t.Key === NODECLAIM_TAG)?.Value;
      const subnet = instance.SubnetId ? subnets.get(instance.SubnetId) : undefined;
      const azName = instance.Placement?.AvailabilityZone ?? subnet?.azName ?? '';
      return {
        instanceId: instance.InstanceId!,
        instanceType: instance.InstanceType ?? '',
        azId: subnet?.azId ?? instance.Placement?.AvailabilityZoneId ?? '',
        azName,
        capacityType: instance.InstanceLifecycle === 'spot' ? ('spot' as const) : ('on-demand' as const),
        claim: taggedClaim ?? unit[i].claim.name,
      };
    }),
  };
}

/**
 * One gang fleet tags all its instances alike; each gets its own claim's tag now. Already
 * tagged instances (a retry after a crash mid-way) keep their claim.
 */
async function tagGangMembers(api: CellApi, instances: Instance[], unit: ClaimToLaunch[]) {
  const claimOf = (instance: Instance) => instance.Tags?.find(t => t.Key === NODECLAIM_TAG)?.Value;
  const taken = new Set(instances.map(claimOf).filter((name): name is string => Boolean(name)));
  const free = unit.map(u => u.claim.name).filter(name => !taken.has(name));
  const untagged = instances.filter(i => !claimOf(i)).sort((a, b) => (a.InstanceId ?? '').localeCompare(b.InstanceId ?? ''));
  for (const [i, instance] of untagged.entries()) {
    const name = free[i];
    if (!name) break;
    await api.mutate(() =>
      api.ec2.send(
        new CreateTagsCommand({
          Resources: [instance.InstanceId!],
          Tags: [{ Key: NODECLAIM_TAG, Value: name }, { Key: 'Name', Value: name }],
        }),
      ),
    );
    instance.Tags = [...(instance.Tags ?? []), { Key: NODECLAIM_TAG, Value: name }];
  }
}

// ---------------------------------------------------------------------------------------
// EC2 access through the shared token buckets
// ---------------------------------------------------------------------------------------

interface CellApi {
  ec2: EC2Client;
  cell: CellRef;
  mutate<T>(call: () => Promise<T>, launches?: boolean): Promise<T>;
  describe<T>(call: () => Promise<T>): Promise<T>;
}

function cellApi(ec2: EC2Client, cell: CellRef, limits: AwsRateLimits): CellApi {
  const id = cellId(cell);
  return {
    ec2,
    cell,
    async mutate(call, launches = false) {
      await limits.mutating.acquire(`ec2-mutating:${id}`);
      if (launches) await limits.bucket('ec2-run-instances').acquire(`ec2-run-instances:${id}`);
      return call();
    },
    async describe(call) {
      await limits.nonMutating.acquire(`ec2:${id}`);
      return call();
    },
  };
}

async function describeInstances(api: CellApi, filters: Array<{ Name: string; Values: string[] }>, instanceIds?: string[]) {
  const reservations = await collectPages(
    token =>
      api.describe(() =>
        api.ec2.send(
          new DescribeInstancesCommand({
            Filters: filters.length ? filters : undefined,
            InstanceIds: instanceIds,
            NextToken: token,
            MaxResults: instanceIds ? undefined : 1000,
          }),
        ),
      ),
    page => page.Reservations,
  );
  return reservations.flatMap(r => r.Instances ?? []);
}

function describe(api: CellApi, instanceIds: string[]) {
  return describeInstances(api, [], instanceIds);
}

async function findClaimInstances(api: CellApi, names: string[], gang: string | undefined, owner: string) {
  const filters = [
    { Name: `tag:${OWNER_TAG}`, Values: [owner] },
    { Name: 'instance-state-name', Values: INSTANCE_LIVE_STATES },
    gang ? { Name: `tag:${GANG_TAG}`, Values: [gang] } : { Name: `tag:${NODECLAIM_TAG}`, Values: names },
  ];
  return describeInstances(api, filters);
}

async function terminate(api: CellApi, instanceIds: string[]) {
  if (instanceIds.length === 0) return;
  await api.mutate(() => api.ec2.send(new TerminateInstancesCommand({ InstanceIds: instanceIds })));
}

/** The per-NodeClass template name in the member cell. */
export function nodeClassLaunchTemplateName(nodeClass: NodeClassView): string {
  return `fabric-${nodeClass.name}`.slice(0, 128);
}

interface LaunchTemplateRef {
  LaunchTemplateId: string;
  Version: string;
}

/** The templates of one fleet call: per instance type for islands, else one for all. */
interface LaunchTemplates {
  default?: LaunchTemplateRef;
  byType: Map<string, LaunchTemplateRef>;
  /** The templates define network interfaces and placement (EFA islands). */
  carriesNetwork: boolean;
}

const templateCache = new WeakMap<EC2Client, Map<string, LaunchTemplateRef>>();

/**
 * The launch templates a claim's fleet uses.
 * - An island's FabricNodeClass names its EFA template, or the island plan's template per
 *   member account and instance type (`fabric-island-<island>-<type>`): the EFA network
 *   interfaces in the island subnet and security group, the placement group by id, the
 *   type's capacity reservation.
 * - Any other class gets one template per class in its cell, created on first use and
 *   carrying only what does not vary per offering: the AMI, the security groups, the
 *   instance profile, IMDSv2 and the node's bootstrap. Types and subnets come from the
 *   fleet's overrides.
 */
async function launchTemplatesFor(
  api: CellApi,
  nodeClass: NodeClassView,
  offerings: LaunchOffering[],
  deps: LaunchDependencies,
): Promise<LaunchTemplates> {
  const own = nodeClass.spec.launchTemplate;
  const island = nodeClass.spec.island;
  if (own?.id) {
    return { default: { LaunchTemplateId: own.id, Version: own.version ?? '$Default' }, byType: new Map(), carriesNetwork: Boolean(island) };
  }
  if (own?.name) {
    const template = await existingTemplate(api, own.name, own.version);
    return { default: template, byType: new Map(), carriesNetwork: Boolean(island) };
  }
  if (island) {
    const byType = new Map<string, LaunchTemplateRef>();
    for (const type of new Set(offerings.map(o => o.instanceType))) {
      byType.set(type, await existingTemplate(api, islandLaunchTemplateName(island, type)));
    }
    return { byType, carriesNetwork: true };
  }
  return { default: await nodeClassTemplate(api, nodeClass, deps), byType: new Map(), carriesNetwork: false };
}

function cacheOf(api: CellApi): Map<string, LaunchTemplateRef> {
  let cache = templateCache.get(api.ec2);
  if (!cache) {
    cache = new Map();
    templateCache.set(api.ec2, cache);
  }
  return cache;
}

async function findTemplateId(api: CellApi, name: string): Promise<string | undefined> {
  // A filter, not LaunchTemplateNames: an unknown name there is an error, not an empty answer.
  const found = await api.describe(() =>
    api.ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: [name] }] })),
  );
  return found.LaunchTemplates?.find(t => t.LaunchTemplateName === name)?.LaunchTemplateId;
}

async function existingTemplate(api: CellApi, name: string, version?: string): Promise<LaunchTemplateRef> {
  const cache = cacheOf(api);
  const cached = cache.get(name);
  if (cached) return cached;
  const id = await findTemplateId(api, name);
  if (!id) throw new Error(`launch template ${name} not found in ${cellId(api.cell)}`);
  const template = { LaunchTemplateId: id, Version: version ?? '$Default' };
  cache.set(name, template);
  return template;
}

/** Template creations in flight per cell client: concurrent launches in one cell share one. */
const templatesInFlight = new WeakMap<object, Map<string, Promise<LaunchTemplateRef>>>();

async function nodeClassTemplate(api: CellApi, nodeClass: NodeClassView, deps: LaunchDependencies): Promise<LaunchTemplateRef> {
  const name = nodeClassLaunchTemplateName(nodeClass);
  const cached = cacheOf(api).get(name);
  if (cached) return cached;
  let inFlight = templatesInFlight.get(api.ec2);
  if (!inFlight) {
    inFlight = new Map();
    templatesInFlight.set(api.ec2, inFlight);
  }
  let pending = inFlight.get(name);
  if (!pending) {
    const running = inFlight;
    pending = findOrCreateTemplate(api, name, nodeClass, deps).finally(() => running.delete(name));
    running.set(name, pending);
  }
  return pending;
}

async function findOrCreateTemplate(api: CellApi, name: string, nodeClass: NodeClassView, deps: LaunchDependencies): Promise<LaunchTemplateRef> {
  let id = await findTemplateId(api, name);
  if (!id) {
    const userData = deps.userDataFor?.(nodeClass);
    try {
      const created = await api.mutate(() =>
        api.ec2.send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: name,
            ClientToken: `fabric-lt-${nodeClass.name}`.slice(0, 64),
            LaunchTemplateData: {
              ImageId: deps.imageIdFor(nodeClass),
              SecurityGroupIds: nodeClass.resolved.securityGroups.map(g => g.id),
              ...(nodeClass.spec.instanceProfile ? { IamInstanceProfile: { Name: nodeClass.spec.instanceProfile } } : {}),
              MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
              ...(userData ? { UserData: Buffer.from(userData).toString('base64') } : {}),
            },
            TagSpecifications: [
              {
                ResourceType: 'launch-template',
                Tags: [
                  { Key: OWNER_TAG, Value: deps.owner },
                  { Key: 'fabric.cloudspectra.io/nodeclass', Value: nodeClass.name },
                ],
              },
            ],
          }),
        ),
      );
      id = created.LaunchTemplate?.LaunchTemplateId;
    } catch (error) {
      // Another replica (or a restarted one) created it between the lookup and the create.
      if ((error as { name?: string }).name !== 'InvalidLaunchTemplateName.AlreadyExistsException') throw error;
      id = await findTemplateId(api, name);
    }
    if (!id) throw new Error('CreateLaunchTemplate returned no template id');
  }
  const template = { LaunchTemplateId: id, Version: '$Default' };
  cacheOf(api).set(name, template);
  return template;
}

export { INSTANCE_LIVE_STATES, cellApi, describeInstances, terminate };
export type { CellApi };
