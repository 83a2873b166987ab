import { cellId } from '@internal/backstage-plugin-fabric-common';
import { FabricClock, systemClock } from '../aws/clock';
import { EC2_NON_MUTATING_BUCKET, RequestLimiter, TokenBucketLimiter } from '../aws/TokenBucketLimiter';
import { EC2_MUTATING_BUCKET } from '../aws/AwsRateLimits';
import { oneLineErrorText } from '../aws/errors';
import { resolveRefs } from './refs';
import { clientTokenFor, fabricTags } from './tags';
import {
  CheckpointStore,
  JsonValue,
  Plan,
  PlanStep,
  StepCheckpoint,
  StepContext,
  StepExecutor,
  StepOutput,
  StepStatus,
} from './types';
import { StepExecutorRegistry, toRegistry, validatePlan } from './validatePlan';

/** How a step reached its status in this apply. */
export type StepVia = 'checkpoint' | 'probe' | 'run';

/** One step's outcome. */
export interface StepResult {
  key: string;
  title: string;
  status: StepStatus;
  via?: StepVia;
  output?: StepOutput;
  error?: string;
}

/** Reported as each step starts and ends. */
export interface StepProgressEvent extends StepResult {
  planId: string;
  /** Zero-based position in the plan. */
  index: number;
  total: number;
}

/** The outcome of one apply. */
export interface ApplyResult {
  planId: string;
  /** `done` when every step is done; `failed` when one failed (later ones stay `pending`). */
  status: 'done' | 'failed';
  steps: StepResult[];
  failedStep?: string;
}

export interface ApplyPlanOptions {
  executors: StepExecutorRegistry | StepExecutor[];
  checkpoints: CheckpointStore;
  /**
   * Bucket for mutating calls, keyed `ec2-mutating:<account>/<region>`. Defaults to a
   * fresh {@link EC2_MUTATING_BUCKET} limiter; pass the process's shared one
   * (`AwsRateLimits.mutating`) so concurrent applies draw from the same bucket, as they
   * do at AWS.
   */
  limiter?: RequestLimiter;
  /**
   * Bucket for probes and waits, keyed `ec2:<account>/<region>`, the key discovery uses,
   * so a shared non-mutating limiter covers both.
   */
  readLimiter?: RequestLimiter;
  onProgress?: (event: StepProgressEvent) => void;
  clock?: FabricClock;
  signal?: AbortSignal;
}

/** A failure of the checkpoint store: the apply cannot know what it recorded, so it stops at once. */
export class CheckpointStoreError extends Error {
  constructor(readonly planId: string, readonly stepKey: string, readonly cause: unknown) {
    super(`Could not record step '${stepKey}' of plan ${planId}: ${oneLineErrorText(cause)}`);
    this.name = 'CheckpointStoreError';
  }
}

/**
 * Applies a plan step by step. Per step: a `done` checkpoint is reused as is; otherwise the
 * executor's probe looks for the result (look-up-before-create), and only when it finds
 * nothing is `running` recorded and `run` called. A step that throws is recorded `failed`
 * with a readable reason and ends the apply; later steps stay `pending`. Applying the
 * same plan again with the same store resumes where it stopped.
 *
 * Executor failures become the step's status; checkpoint-store failures throw a
 * {@link CheckpointStoreError}, like a crash: nothing after them is trustworthy.
 */
export async function applyPlan(plan: Plan, options: ApplyPlanOptions): Promise<ApplyResult> {
  const executors = toRegistry(options.executors);
  validatePlan(plan, executors);
  const clock = options.clock ?? systemClock;
  const limiter = options.limiter ?? new TokenBucketLimiter({ ...EC2_MUTATING_BUCKET, clock });
  const readLimiter = options.readLimiter ?? new TokenBucketLimiter({ ...EC2_NON_MUTATING_BUCKET, clock });
  const store = options.checkpoints;
  const iso = () => new Date(clock.now()).toISOString();
  const outputs = new Map<string, StepOutput>();
  const results: StepResult[] = plan.steps.map(step => ({ key: step.key, title: step.title, status: 'pending' }));

  const report = (index: number, result: StepResult) => {
    results[index] = result;
    options.onProgress?.({ ...result, planId: plan.id, index, total: plan.steps.length });
  };
  const record = async (key: string, checkpoint: StepCheckpoint) => {
    try {
      await store.put(plan.id, key, checkpoint);
    } catch (error) {
      throw new CheckpointStoreError(plan.id, key, error);
    }
  };

  for (const [index, step] of plan.steps.entries()) {
    options.signal?.throwIfAborted();
    let previous: StepCheckpoint | undefined;
    try {
      previous = await store.get(plan.id, step.key);
    } catch (error) {
      throw new CheckpointStoreError(plan.id, step.key, error);
    }
    const base = { key: step.key, title: step.title };
    if (previous?.status === 'done') {
      outputs.set(step.key, previous.output ?? {});
      report(index, { ...base, status: 'done', via: 'checkpoint', output: previous.output });
      continue;
    }

    const executor = executors.get(step.type)!;
    const startedAt = iso();
    let ran = previous?.status === 'running' || previous?.output?.runStarted === true;
    report(index, { ...base, status: 'running' });
    let output: StepOutput | undefined;
    let via: StepVia = 'probe';
    let failure: unknown;
    try {
      const ctx = contextFor(plan, step, outputs, previous, { limiter, readLimiter, signal: options.signal });
      const found = await executor.probe(ctx);
      if (found) {
        // The probe before an earlier run found nothing, so whatever it finds now that run made.
        output = { ...found, created: found.created === true || ran };
      } else {
        via = 'run';
        ran = true;
        await record(step.key, { status: 'running', output: { runStarted: true }, startedAt });
        output = { ...(await executor.run(ctx)), created: true };
      }
    } catch (error) {
      if (error instanceof CheckpointStoreError) throw error;
      failure = error;
    }

    if (output === undefined) {
      const error = `${oneLineErrorText(failure)} (${step.type}${step.cell ? ` in ${cellId(step.cell)}` : ''})`;
      await record(step.key, {
        status: 'failed',
        ...(ran ? { output: { runStarted: true } } : {}),
        error,
        startedAt,
        finishedAt: iso(),
      });
      report(index, { ...base, status: 'failed', via, error });
      return { planId: plan.id, status: 'failed', steps: results, failedStep: step.key };
    }
    await record(step.key, { status: 'done', output, startedAt, finishedAt: iso() });
    outputs.set(step.key, output);
    report(index, { ...base, status: 'done', via, output });
  }
  return { planId: plan.id, status: 'done', steps: results };
}

/** Each step's recorded status, `pending` for steps with no checkpoint. */
export async function planStatus(plan: Plan, checkpoints: CheckpointStore): Promise<StepResult[]> {
  const stored = await checkpoints.list(plan.id);
  return plan.steps.map(step => {
    const checkpoint = stored[step.key];
    return {
      key: step.key,
      title: step.title,
      status: checkpoint?.status ?? 'pending',
      output: checkpoint?.output,
      error: checkpoint?.error,
    };
  });
}

function contextFor(
  plan: Plan,
  step: PlanStep,
  outputs: Map<string, StepOutput>,
  previous: StepCheckpoint | undefined,
  deps: { limiter: RequestLimiter; readLimiter: RequestLimiter; signal?: AbortSignal },
): StepContext<JsonValue> {
  const cell = step.cell && step.kind === 'aws' ? cellId(step.cell) : undefined;
  const limited = (limiter: RequestLimiter, key: string | undefined) => async <T>(call: () => Promise<T>) => {
    if (key) await limiter.acquire(key, deps.signal);
    return call();
  };
  return {
    plan: { id: plan.id, owner: plan.owner },
    step,
    input: resolveRefs(step.input, key => outputs.get(key)),
    tags: fabricTags(plan, step.key),
    clientToken: clientTokenFor(plan.id, step.key),
    previous,
    mutate: limited(deps.limiter, cell && `ec2-mutating:${cell}`),
    describe: limited(deps.readLimiter, cell && `ec2:${cell}`),
    signal: deps.signal,
  };
}
