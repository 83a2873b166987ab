import { referencedStepKeys } from './refs';
import { Plan, StepExecutor } from './types';

/** A plan that cannot be applied as written; `problems` lists every reason. */
export class PlanValidationError extends Error {
  constructor(readonly planId: string, readonly problems: string[]) {
    super(`Plan ${planId} is not valid: ${problems.join('; ')}`);
    this.name = 'PlanValidationError';
  }
}

/** Looks up executors by step type. */
export type StepExecutorRegistry = ReadonlyMap<string, StepExecutor>;

/** A registry from executor lists; two executors claiming one type is a programming error. */
export function executorRegistry(...lists: StepExecutor[][]): StepExecutorRegistry {
  const registry = new Map<string, StepExecutor>();
  for (const executor of lists.flat()) {
    if (registry.has(executor.type)) throw new Error(`Two step executors claim type '${executor.type}'`);
    registry.set(executor.type, executor);
  }
  return registry;
}

/** Accepts a registry or a plain list. */
export function toRegistry(executors: StepExecutorRegistry | StepExecutor[]): StepExecutorRegistry {
  return Array.isArray(executors) ? executorRegistry(executors) : executors;
}

/**
 * Checks what can be checked before anything changes: unique keys, every dependency and
 * `$ref` pointing at an earlier step, an executor for every step type, a cell on every
 * AWS step.
 */
export function validatePlan(plan: Plan, executors?: StepExecutorRegistry): void {
  const problems: string[] = [];
  const earlier = new Set<string>();
  for (const step of plan.steps) {
    const where = `step '${step.key}'`;
    if (!step.key) problems.push('a step has an empty key');
    if (step.key.includes('.output.')) problems.push(`${where}: a key must not contain '.output.'`);
    if (earlier.has(step.key)) problems.push(`${where} appears twice`);
    if (step.kind === 'aws' && !step.cell) problems.push(`${where} is an AWS step without a cell`);
    if (executors && !executors.has(step.type)) problems.push(`${where}: no executor for type '${step.type}'`);
    for (const dependency of step.dependsOn ?? []) {
      if (!earlier.has(dependency)) problems.push(`${where} depends on '${dependency}', which is not an earlier step`);
    }
    try {
      for (const ref of referencedStepKeys(step.input)) {
        if (!earlier.has(ref)) problems.push(`${where} refers to '${ref}', which is not an earlier step`);
      }
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
    earlier.add(step.key);
  }
  if (problems.length > 0) throw new PlanValidationError(plan.id, problems);
}
