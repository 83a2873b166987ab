import { createMockDirectory } from '@backstage/backend-test-utils';
import { TemplateAction, TemplateExample } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import yaml from 'yaml';
import { createFabricActions, FabricApiClient } from '../actions';

/** Every fabric action, by id, talking to one fabric backend. */
export function fabricActions(client: FabricApiClient): Map<string, TemplateAction<any, any, any>> {
  return new Map(createFabricActions({ client }).map(a => [a.id, a]));
}

/** Runs an action's handler with a mock context and returns what it output. */
export async function runAction(
  action: TemplateAction<any, any, any>,
  input: Record<string, any>,
  options: { isDryRun?: boolean; workspacePath?: string; checkpoint?: (opts: { key: string; fn: () => any }) => Promise<any> } = {},
) {
  const ctx = {
    ...createMockActionContext({ input, workspacePath: options.workspacePath }),
    isDryRun: options.isDryRun,
    ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
  };
  await action.handler(ctx as any);
  return Object.fromEntries((ctx.output as jest.Mock).mock.calls) as Record<string, any>;
}

/**
 * Checks an example step's input against the JSON schema the action publishes: no key
 * the action does not declare, every required key present. (The scaffolder validates
 * the full schema before a step runs; calling the handler directly skips that.)
 */
export function expectInputMatchesSchema(action: TemplateAction<any, any, any>, input: Record<string, unknown>) {
  const schema = action.schema?.input as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  expect(schema?.properties).toBeDefined();
  const declared = Object.keys(schema!.properties!);
  expect(Object.keys(input).filter(k => !declared.includes(k))).toEqual([]);
  expect((schema!.required ?? []).filter(k => input[k] === undefined)).toEqual([]);
}

const STEP_OUTPUT = /^\$\{\{\s*steps(?:\.([\w-]+)|\['([\w-]+)'\])\.output\.(\w+)\s*\}\}$/;

/**
 * Replays every step of an example in order against the fabric backend, with one
 * workspace, resolving `${{ steps['id'].output.name }}` from earlier steps. Returns each
 * step's outputs by step id.
 */
export async function replayExample(
  example: TemplateExample,
  client: FabricApiClient,
  options: { isDryRun?: boolean } = {},
) {
  const actions = fabricActions(client);
  const workspacePath = createMockDirectory().resolve('workspace');
  const outputs: Record<string, Record<string, any>> = {};
  const resolve = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const match = STEP_OUTPUT.exec(value);
      if (!match) return value;
      const [, dotted, bracketed, name] = match;
      return outputs[dotted ?? bracketed]?.[name];
    }
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
    }
    return value;
  };
  const { steps } = yaml.parse(example.example) as {
    steps: Array<{ id: string; action: string; input: Record<string, unknown> }>;
  };
  for (const step of steps) {
    const action = actions.get(step.action);
    if (!action) throw new Error(`Example step ${step.id} uses ${step.action}, which is not a fabric action`);
    const input = resolve(step.input) as Record<string, unknown>;
    expectInputMatchesSchema(action, input);
    outputs[step.id] = await runAction(action, input, { isDryRun: options.isDryRun, workspacePath });
  }
  return { outputs, workspacePath, steps };
}
