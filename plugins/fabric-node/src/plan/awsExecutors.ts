import type {
  EC2Client,
  ServiceInputTypes as Ec2Input,
  ServiceOutputTypes as Ec2Output,
} from '@aws-sdk/client-ec2';
import type { Command } from '@aws-sdk/types';
import { CellRef, cellId } from '@internal/backstage-plugin-fabric-common';
import type { AccountCredentialsRef, AwsClientFactory } from '../aws/AwsClientFactory';
import { ignoreNotFound, isNotFound } from '../aws/errors';
import type { AwsTag } from './tags';
import type { JsonValue, PlanStep, StepContext, StepExecutor } from './types';

/**
 * The pieces every AWS step executor is built from, so the mesh's and the islands'
 * executors differ only in the resource they handle: which client a step calls, the
 * shape of a delete step, and the step that undoes a create.
 */

/** How executors reach the step's cell: its account's credentials, its region. */
export interface AwsStepAccess {
  clients: Pick<AwsClientFactory, 'ec2'>;
  /** The enrolled account (from `FabricConfig.estate.accounts`) behind an account id. */
  accountOf(accountId: string): AccountCredentialsRef;
}

/** The cell an AWS step calls; a step without one is a planning error. */
export function cellOfStep(step: PlanStep): CellRef {
  if (!step.cell) throw new Error(`Step '${step.key}' has no cell to call AWS in`);
  return step.cell;
}

/** The EC2 client of the step's cell, as the step's account. */
export function ec2OfStep(access: AwsStepAccess, step: PlanStep): EC2Client {
  const cell = cellOfStep(step);
  return access.clients.ec2(cell, access.accountOf(cell.accountId));
}

/** An EC2 command of any operation, as `EC2Client.send` takes it. */
type Ec2Command<I extends Ec2Input, O extends Ec2Output> = Command<Ec2Input, I, Ec2Output, O, any>;

/** The EC2 calls of one step, each in the step's cell and under its token bucket. */
export interface StepEc2 {
  /** A read-only call, under the cell's non-mutating bucket. */
  describe<I extends Ec2Input, O extends Ec2Output>(command: Ec2Command<I, O>): Promise<O>;
  /** A mutating call, under the cell's mutating bucket. */
  mutate<I extends Ec2Input, O extends Ec2Output>(command: Ec2Command<I, O>): Promise<O>;
}

export function stepEc2(access: AwsStepAccess, ctx: StepContext<unknown>): StepEc2 {
  const client = ec2OfStep(access, ctx.step);
  return {
    describe: command => ctx.describe(() => client.send(command)),
    mutate: command => ctx.mutate(() => client.send(command)),
  };
}

/** `<account>/<region>` of the step's cell, for messages. */
export function cellTextOf(step: PlanStep): string {
  return step.cell ? cellId(step.cell) : '(no cell)';
}

/** `{ created: true }` when the found resource is this step's own work, else nothing. */
export const createdIf = (ours: boolean): { created?: true } => (ours ? { created: true } : {});

/** The step's fabric tags plus its input's own, without letting an input tag override a fabric one. */
export function withFabricTags(ctx: StepContext<{ Tags?: AwsTag[] }>): AwsTag[] {
  const fabricKeys = new Set(ctx.tags.map(t => t.Key));
  return [...ctx.tags, ...(ctx.input.Tags ?? []).filter(t => !fabricKeys.has(t.Key))];
}

/**
 * The step that reverses a create, in the same cell: keyed `destroy:<key>` so a destroy
 * plan re-planned later finds its own checkpoints.
 */
export function undoStep(step: PlanStep, undo: { type: string; title: string; input: JsonValue }): PlanStep {
  return { key: `destroy:${step.key}`, title: undo.title, kind: 'aws', type: undo.type, cell: step.cell, input: undo.input };
}

/**
 * A delete step. It is done once the look-up no longer finds the resource (or AWS says
 * it is not found), and a not-found answer to the delete counts as done too, so a
 * destroy can be re-run.
 */
export function deleteExecutor<Input extends object>(options: {
  type: string;
  exists(ctx: StepContext<Input>): Promise<boolean>;
  remove(ctx: StepContext<Input>): Promise<unknown>;
}): StepExecutor<Input> {
  return {
    type: options.type,
    async probe(ctx) {
      try {
        if (await options.exists(ctx)) return undefined;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      return { ...ctx.input, deleted: true };
    },
    async run(ctx) {
      await ignoreNotFound(() => options.remove(ctx));
      return { ...ctx.input, deleted: true };
    },
  };
}
