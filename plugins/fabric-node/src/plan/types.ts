import { CellRef } from '@internal/backstage-plugin-fabric-common';

/** A JSON value: what step inputs and outputs are made of, so they survive a database. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A reference to an earlier step's output, resolved at apply time: `{ $ref: '<stepKey>.output.<path>' }`. */
export type StepOutputRef = { $ref: string };

/** What a step touches: AWS through the cell's account and region, or a Kubernetes cluster. */
export type StepKind = 'aws' | 'kubernetes';

/** One idempotent step of a plan. */
export interface PlanStep {
  /**
   * Idempotency key: the same change gets the same key every time it is planned, so a
   * re-planned plan finds its own earlier work (checkpoints, `fabric.cloudspectra.io/step` tags).
   * Must not contain `.output.`, which separates the key from the path in a `$ref`.
   */
  key: string;
  /** What a person reviewing the plan reads. */
  title: string;
  kind: StepKind;
  /** Which executor performs it, e.g. `ec2:CreateVpcPeeringConnection`. */
  type: string;
  /** The account and region an AWS step calls; it also picks the rate-limit bucket. */
  cell?: CellRef;
  /** Keys of earlier steps this one needs (every `$ref` must name one of them). */
  dependsOn?: string[];
  /** Executor input; may hold `$ref`s to earlier outputs. */
  input: JsonValue;
}

/** An ordered list of steps, shown before anything changes. */
export interface Plan {
  id: string;
  /** Who asked for it; tagged on every created resource as `fabric.cloudspectra.io/owner`. */
  owner: string;
  title: string;
  steps: PlanStep[];
}

/** Status of a step within one plan. `pending` is never stored: it is the absence of a checkpoint. */
export type StepStatus = 'pending' | 'running' | 'done' | 'failed';

/**
 * What a step produced. `created` is set by the engine: true when this step's own run
 * made the resource, false when the probe found it already there (then destroy leaves it).
 */
export type StepOutput = { [key: string]: JsonValue | undefined; created?: boolean };

/** The durable record of one step of one plan. */
export interface StepCheckpoint {
  status: Exclude<StepStatus, 'pending'>;
  /**
   * `done`: what the step produced. `running` and `failed`: `{ runStarted: true }` once the
   * executor's `run` began, so a resource a later probe finds is known to be this step's
   * own (the probe before that run found nothing), even if the process died before it
   * could record `done`.
   */
  output?: StepOutput;
  /** Readable, credential-free reason of a failure. */
  error?: string;
  /** ISO timestamps. */
  startedAt: string;
  finishedAt?: string;
}

/** Stored checkpoints of a plan; the backend keeps them in its database. */
export interface CheckpointStore {
  get(planId: string, key: string): Promise<StepCheckpoint | undefined>;
  put(planId: string, key: string, checkpoint: StepCheckpoint): Promise<void>;
  /** Every checkpoint of the plan, by step key. */
  list(planId: string): Promise<Record<string, StepCheckpoint>>;
}

/** What an executor is handed for one step. */
export interface StepContext<Input = unknown> {
  plan: Pick<Plan, 'id' | 'owner'>;
  step: PlanStep;
  /** The step's input with every `$ref` replaced by the referenced output. */
  input: Input;
  /** The `fabric.cloudspectra.io/*` tags every resource this step creates carries. */
  tags: Array<{ Key: string; Value: string }>;
  /** An idempotency token for APIs that take one (EC2 `ClientToken`), derived from plan and step key. */
  clientToken: string;
  /** The checkpoint an earlier attempt left, if any. */
  previous?: StepCheckpoint;
  /** Runs one mutating AWS call under the cell's mutating token bucket. */
  mutate<T>(call: () => Promise<T>): Promise<T>;
  /** Runs one read-only AWS call under the cell's non-mutating token bucket. */
  describe<T>(call: () => Promise<T>): Promise<T>;
  signal?: AbortSignal;
}

/** A completed step as destroy sees it. */
export interface AppliedStep<Input = JsonValue> {
  step: PlanStep;
  /** The input with `$ref`s resolved against the applied plan's outputs. */
  input: Input;
  output: StepOutput;
}

/** Performs one `type` of step: look up before create, then create. */
export interface StepExecutor<Input = any, Output extends StepOutput = StepOutput> {
  type: string;
  /**
   * Looks for the step's result without changing anything. Returns its output when it
   * already exists, `undefined` otherwise. May set `created: true` when the found resource
   * proves this very step made it (e.g. its `fabric.cloudspectra.io/step` tag).
   */
  probe(ctx: StepContext<Input>): Promise<Output | undefined>;
  /** Makes the change; tags what it creates with `ctx.tags`. */
  run(ctx: StepContext<Input>): Promise<Output>;
  /**
   * The steps that reverse this one, for a destroy plan. Only called for steps whose
   * output says `created: true`; omit it when nothing needs undoing.
   */
  undo?(applied: AppliedStep<Input>): PlanStep[];
}
