import { isStepOutputRef, outputRef, parseOutputRef, referencedStepKeys, resolveRefs } from './refs';

describe('$ref resolution', () => {
  const outputs: Record<string, any> = {
    'mesh:vpc-a:vpc-b:create': { VpcPeeringConnectionId: 'pcx-1', nested: { list: ['x', 'y'] } },
    'route:rtb-1:10.64.0.0/16': { RouteTableId: 'rtb-1' },
  };
  const outputOf = (key: string) => outputs[key];

  it('replaces refs anywhere in the input, leaving other values alone', () => {
    const input = {
      VpcPeeringConnectionId: { $ref: 'mesh:vpc-a:vpc-b:create.output.VpcPeeringConnectionId' },
      list: [{ $ref: 'mesh:vpc-a:vpc-b:create.output.nested.list.1' }, 'plain', 3, null],
      table: { $ref: 'route:rtb-1:10.64.0.0/16.output.RouteTableId' },
      keep: { $ref: 'x', other: 1 },
    };
    expect(resolveRefs(input, outputOf)).toEqual({
      VpcPeeringConnectionId: 'pcx-1',
      list: ['y', 'plain', 3, null],
      table: 'rtb-1',
      keep: { $ref: 'x', other: 1 },
    });
  });

  it('splits on the first .output. so keys may carry dots (CIDRs)', () => {
    expect(parseOutputRef('route:rtb-1:10.64.0.0/16.output.RouteTableId')).toEqual({
      stepKey: 'route:rtb-1:10.64.0.0/16',
      path: ['RouteTableId'],
    });
    expect(parseOutputRef('a.output')).toEqual({ stepKey: 'a', path: [] });
    expect(outputRef('a', 'b.c')).toEqual({ $ref: 'a.output.b.c' });
    expect(() => parseOutputRef('a.VpcId')).toThrow(/Malformed \$ref 'a.VpcId'/);
    expect(() => parseOutputRef('a.output.')).toThrow(/Malformed/);
  });

  it('names the step and the field when a ref cannot be resolved', () => {
    expect(() => resolveRefs({ x: { $ref: 'missing.output.Id' } }, outputOf)).toThrow(
      "$ref 'missing.output.Id' points at step 'missing', which has no output yet",
    );
    expect(() => resolveRefs({ $ref: 'mesh:vpc-a:vpc-b:create.output.Nope' }, outputOf)).toThrow(
      "the output of step 'mesh:vpc-a:vpc-b:create' has no 'Nope'",
    );
  });

  it('lists the steps an input refers to', () => {
    expect(referencedStepKeys({ a: [{ $ref: 'x.output.y' }, { $ref: 'z.output.w' }], b: { $ref: 'x.output.v' } })).toEqual([
      'x',
      'z',
    ]);
    expect(isStepOutputRef({ $ref: 'a.output.b' })).toBe(true);
    expect(isStepOutputRef({ $ref: 1 })).toBe(false);
  });
});
