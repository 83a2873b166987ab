import { CheckpointStore, StepCheckpoint } from './types';

/**
 * Checkpoints in process memory: for tests, the CLI's dry runs and the demo. Records are
 * copied in and out, as a database would, so callers cannot mutate stored state.
 */
export class InMemoryCheckpointStore implements CheckpointStore {
  private readonly plans = new Map<string, Map<string, StepCheckpoint>>();

  async get(planId: string, key: string): Promise<StepCheckpoint | undefined> {
    const checkpoint = this.plans.get(planId)?.get(key);
    return checkpoint && structuredClone(checkpoint);
  }

  async put(planId: string, key: string, checkpoint: StepCheckpoint): Promise<void> {
    let steps = this.plans.get(planId);
    if (!steps) {
      steps = new Map();
      this.plans.set(planId, steps);
    }
    steps.set(key, structuredClone(checkpoint));
  }

  async list(planId: string): Promise<Record<string, StepCheckpoint>> {
    return Object.fromEntries(
      [...(this.plans.get(planId)?.entries() ?? [])].map(([key, checkpoint]) => [key, structuredClone(checkpoint)]),
    );
  }
}
