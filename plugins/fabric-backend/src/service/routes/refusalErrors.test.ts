import { ConflictError, InputError } from '@backstage/errors';
import { FabricRefusal, REFUSAL_RULES, RefusalRule } from '@internal/backstage-plugin-fabric-common';
import { refusalErrors } from './refusalErrors';

/** What the middleware hands on to Backstage's error handler. */
function mapped(error: unknown): unknown {
  const next = jest.fn();
  refusalErrors(error, {} as any, {} as any, next);
  expect(next).toHaveBeenCalledTimes(1);
  return next.mock.calls[0][0];
}

describe('refusalErrors', () => {
  it('answers a refusal with a conflict rule as 409, keeping its message', () => {
    const error = mapped(new FabricRefusal('efa-locality', 'EFA cannot span AZ-IDs'));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('EFA cannot span AZ-IDs');
  });

  it('answers a refusal with an invalid rule as 400, keeping its message', () => {
    const error = mapped(new FabricRefusal('invalid-request', 'member account 999999999999 is not enrolled'));
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe('member account 999999999999 is not enrolled');
  });

  it.each(Object.entries(REFUSAL_RULES))('maps rule %s by its kind (%s)', (rule, kind) => {
    const error = mapped(new FabricRefusal(rule as RefusalRule, 'refused'));
    expect(error).toBeInstanceOf(kind === 'conflict' ? ConflictError : InputError);
  });

  it('maps a refusal from another copy of the common package by its rule, not its class', () => {
    const foreign = Object.assign(new Error('Plan p is already being applied'), {
      name: 'FabricRefusal',
      rule: 'apply-in-progress',
    });
    expect(mapped(foreign)).toBeInstanceOf(ConflictError);
  });

  it('passes every other error on unchanged, whatever its message says', () => {
    const other = new Error('Island refused: EFA traffic is not routable across AZs');
    expect(mapped(other)).toBe(other);
    const input = new InputError('bad');
    expect(mapped(input)).toBe(input);
  });
});
