import { clientTokenFor, fabricTags, isTaggedByStep } from './tags';

describe('fabric tags', () => {
  const plan = { id: '7d4b1c1e-0000-4000-8000-000000000001', owner: 'platform-team' };

  it('recognises only this step of this plan as the creator', () => {
    const tags = fabricTags(plan, 'mesh:vpc-a:vpc-b:create');
    expect(isTaggedByStep(tags, plan, 'mesh:vpc-a:vpc-b:create')).toBe(true);
    expect(isTaggedByStep(tags, plan, 'mesh:vpc-a:vpc-c:create')).toBe(false);
    expect(isTaggedByStep(tags, { ...plan, id: 'another-plan' }, 'mesh:vpc-a:vpc-b:create')).toBe(false);
    expect(isTaggedByStep(tags, { ...plan, owner: 'someone-else' }, 'mesh:vpc-a:vpc-b:create')).toBe(false);
    expect(isTaggedByStep(undefined, plan, 'mesh:vpc-a:vpc-b:create')).toBe(false);
  });

  it('derives a stable ClientToken within EC2’s 64 characters', () => {
    const token = clientTokenFor(plan.id, 'island:subnet');
    expect(token).toBe(clientTokenFor(plan.id, 'island:subnet'));
    expect(token).not.toBe(clientTokenFor(plan.id, 'island:sg'));
    expect(token).not.toBe(clientTokenFor('another-plan', 'island:subnet'));
    expect(token).toMatch(/^fabric-[0-9a-f]{48}$/);
    expect(token.length).toBeLessThanOrEqual(64);
  });
});
