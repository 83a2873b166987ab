import { randomUUID } from 'node:crypto';
import { resolveRefs } from './refs';
import { CheckpointStore, Plan, PlanStep, StepExecutor, StepOutput } from './types';
import { StepExecutorRegistry, toRegistry } from './validatePlan';

/** A step whose run started but whose result was never recorded: it may have left something behind. */
export interface UnsettledStep {
  key: string;
  title: string;
  reason: string;
}

export interface DestroyPlan {
  plan: Plan;
  /**
   * Steps the destroy plan cannot undo because their outcome is unknown. Resuming the
   * apply settles them (its probe adopts what the interrupted run made); destroy then
   * covers them too.
   */
  unsettled: UnsettledStep[];
}

/**
 * The plan that removes what an applied plan created, newest first. Only steps recorded
 * `done` with `created: true` are undone; whatever a probe found already there (and steps
 * never reached) is left alone, so pre-existing resources survive a destroy.
 */
export async function buildDestroyPlan(
  applied: Plan,
  options: {
    executors: StepExecutorRegistry | StepExecutor[];
    checkpoints: CheckpointStore;
    /** Id of the destroy plan; a fresh UUID by default. */
    planId?: string;
  },
): Promise<DestroyPlan> {
  const executors = toRegistry(options.executors);
  const checkpoints = await options.checkpoints.list(applied.id);
  const outputOf = (key: string): StepOutput | undefined =>
    checkpoints[key]?.status === 'done' ? checkpoints[key].output : undefined;
  const steps: PlanStep[] = [];
  const unsettled: UnsettledStep[] = [];

  for (const step of [...applied.steps].reverse()) {
    const checkpoint = checkpoints[step.key];
    if (!checkpoint) continue;
    if (checkpoint.status !== 'done') {
      if (checkpoint.status === 'running' || checkpoint.output?.runStarted === true) {
        unsettled.push({
          key: step.key,
          title: step.title,
          reason: `its last run ended '${checkpoint.status}'${checkpoint.error ? ` (${checkpoint.error})` : ''} before its result was recorded`,
        });
      }
      continue;
    }
    const output = checkpoint.output ?? {};
    const undo = executors.get(step.type)?.undo;
    if (output.created !== true || !undo) continue;
    steps.push(...undo({ step, input: resolveRefs(step.input, outputOf), output }));
  }

  return {
    plan: { id: options.planId ?? randomUUID(), owner: applied.owner, title: `Destroy: ${applied.title}`, steps },
    unsettled,
  };
}
