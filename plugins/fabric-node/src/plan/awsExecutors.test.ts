import { deleteExecutor, undoStep, withFabricTags } from './awsExecutors';
import { fabricTags } from './tags';
import { PlanStep, StepContext } from './types';

const step: PlanStep = {
  key: 'island:a:subnet',
  title: 'subnet',
  kind: 'aws',
  type: 'ec2:CreateSubnet',
  cell: { accountId: '444444444444', region: 'us-east-1' },
  input: {},
};
const plan = { id: 'plan-1', owner: 'team-ml' };

function contextOf<Input>(input: Input): StepContext<Input> {
  return {
    plan,
    step,
    input,
    tags: fabricTags(plan, step.key),
    clientToken: 'token',
    mutate: call => call(),
    describe: call => call(),
  };
}

const awsError = (name: string) => Object.assign(new Error(`${name} happened`), { name });

describe('the delete step shape', () => {
  const remove = jest.fn();
  let exists: () => Promise<boolean>;
  const executor = deleteExecutor<{ SubnetId: string }>({ type: 'ec2:DeleteSubnet', exists: () => exists(), remove });
  const ctx = contextOf({ SubnetId: 'subnet-1' });
  beforeEach(() => remove.mockReset());

  it('is pending while the resource exists, and done once it is gone or AWS says it is not found', async () => {
    exists = async () => true;
    await expect(executor.probe(ctx)).resolves.toBeUndefined();
    exists = async () => false;
    await expect(executor.probe(ctx)).resolves.toEqual({ SubnetId: 'subnet-1', deleted: true });
    exists = () => Promise.reject(awsError('InvalidSubnetID.NotFound'));
    await expect(executor.probe(ctx)).resolves.toEqual({ SubnetId: 'subnet-1', deleted: true });
    exists = () => Promise.reject(awsError('UnauthorizedOperation'));
    await expect(executor.probe(ctx)).rejects.toThrow('UnauthorizedOperation happened');
  });

  it('counts a not-found answer to the delete as done, and fails on anything else', async () => {
    remove.mockRejectedValueOnce(awsError('InvalidSubnetID.NotFound'));
    await expect(executor.run(ctx)).resolves.toEqual({ SubnetId: 'subnet-1', deleted: true });
    remove.mockRejectedValueOnce(awsError('DependencyViolation'));
    await expect(executor.run(ctx)).rejects.toThrow('DependencyViolation happened');
  });
});

describe('executor building blocks', () => {
  it('keep the fabric tags over an input tag of the same key', () => {
    const tags = withFabricTags(
      contextOf({
        Tags: [
          { Key: 'Name', Value: 'fabric-island-a' },
          { Key: 'fabric.cloudspectra.io/owner', Value: 'someone-else' },
        ],
      }),
    );
    expect(tags).toContainEqual({ Key: 'Name', Value: 'fabric-island-a' });
    expect(tags.filter(t => t.Key === 'fabric.cloudspectra.io/owner')).toEqual([
      { Key: 'fabric.cloudspectra.io/owner', Value: 'team-ml' },
    ]);
  });

  it('undo a step in its own cell under a destroy key', () => {
    expect(undoStep(step, { type: 'ec2:DeleteSubnet', title: 'Delete it', input: { SubnetId: 'subnet-1' } })).toEqual({
      key: 'destroy:island:a:subnet',
      title: 'Delete it',
      kind: 'aws',
      type: 'ec2:DeleteSubnet',
      cell: step.cell,
      input: { SubnetId: 'subnet-1' },
    });
  });
});
