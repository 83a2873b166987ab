import { Plan, PlanStep, StepExecutor } from '../types';

/**
 * A pretend cloud for plan-engine tests: named resources, creation counts, and executors
 * that look up by name before creating (like the real ones do by VPC pair or route).
 */
export class FakeCloud {
  readonly resources = new Map<string, { id: string; tags: Record<string, string>; attachedTo?: string }>();
  readonly calls: string[] = [];
  private nextId = 1;
  /** Makes the next `run` of these step keys throw once, after creating (a lost response) or before. */
  readonly failOnce = new Map<string, 'before-create' | 'after-create'>();

  executors(): StepExecutor[] {
    return [
      {
        type: 'fake:Create',
        probe: async ctx => {
          this.calls.push(`probe ${ctx.step.key}`);
          const { name } = ctx.input as { name: string };
          const found = this.resources.get(name);
          return found ? { id: found.id, name } : undefined;
        },
        run: async ctx => {
          this.calls.push(`run ${ctx.step.key}`);
          const { name, attachTo } = ctx.input as { name: string; attachTo?: string };
          const failure = this.failOnce.get(ctx.step.key);
          if (failure === 'before-create') {
            this.failOnce.delete(ctx.step.key);
            throw Object.assign(new Error('The maximum number of widgets has been reached.'), { name: 'WidgetLimitExceeded' });
          }
          if (this.resources.has(name)) throw new Error(`duplicate ${name}`);
          const id = `res-${this.nextId++}`;
          this.resources.set(name, { id, tags: Object.fromEntries(ctx.tags.map(t => [t.Key, t.Value])), attachedTo: attachTo });
          if (failure === 'after-create') {
            this.failOnce.delete(ctx.step.key);
            throw new Error('socket hang up');
          }
          return { id, name };
        },
        undo: ({ step, output }) => {
          return [
            {
              key: `destroy:${step.key}`,
              title: `Delete ${output.name}`,
              kind: 'aws',
              type: 'fake:Delete',
              cell: step.cell,
              input: { name: output.name as string },
            },
          ];
        },
      },
      {
        type: 'fake:Delete',
        probe: async ctx => {
          const { name } = ctx.input as { name: string };
          return this.resources.has(name) ? undefined : { name, deleted: true };
        },
        run: async ctx => {
          this.calls.push(`delete ${(ctx.input as { name: string }).name}`);
          this.resources.delete((ctx.input as { name: string }).name);
          return { name: (ctx.input as { name: string }).name, deleted: true };
        },
      },
    ];
  }
}

const cell = { accountId: '111111111111', region: 'us-east-1' };

export function createStep(key: string, input: PlanStep['input']): PlanStep {
  return { key, title: `Create ${key}`, kind: 'aws', type: 'fake:Create', cell, input };
}

/** a → b (b attaches to a's id) → c (attaches to b's id). */
export function chainPlan(id = 'plan-1'): Plan {
  return {
    id,
    owner: 'team-ml',
    title: 'Three widgets',
    steps: [
      createStep('a', { name: 'alpha' }),
      { ...createStep('b', { name: 'beta', attachTo: { $ref: 'a.output.id' } }), dependsOn: ['a'] },
      { ...createStep('c', { name: 'gamma', attachTo: { $ref: 'b.output.id' } }), dependsOn: ['b'] },
    ],
  };
}
