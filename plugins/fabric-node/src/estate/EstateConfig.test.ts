import { FabricConfigError, parseFabricConfig } from './EstateConfig';

function errorOf(raw: unknown): FabricConfigError {
  try {
    parseFabricConfig(raw);
  } catch (e) {
    if (e instanceof FabricConfigError) return e;
    throw e;
  }
  throw new Error('expected parseFabricConfig to throw');
}

describe('parseFabricConfig', () => {
  it('defaults to the demo estate in plan-only mode when nothing is configured', () => {
    const config = parseFabricConfig(undefined);
    expect(config.estate.source).toBe('demo');
    expect(config.estate.mode).toBe('plan-only');
    expect(config.estate.accounts).toEqual([]);
    expect(config.discovery.schedule.frequencyMinutes).toBe(15);
  });

  it('accepts an enrolled account with a role ARN in its own account and an ExternalId', () => {
    const config = parseFabricConfig({
      estate: {
        source: 'aws',
        accounts: [
          { id: '111111111111', name: 'hub', role: 'hub' },
          {
            id: '222222222222',
            name: 'research',
            roleArn: 'arn:aws:iam::222222222222:role/fabric-member',
            externalId: 'team-42',
            regions: ['us-east-1', 'eu-west-1'],
          },
        ],
      },
    });
    expect(config.estate.accounts[1]).toMatchObject({ role: 'member', externalId: 'team-42' });
  });

  it('names the key of a malformed role ARN', () => {
    const error = errorOf({
      estate: { accounts: [{ id: '222222222222', name: 'r', roleArn: 'arn:aws:iam::2222:user/bob' }] },
    });
    expect(error.key).toBe('fabric.estate.accounts[0].roleArn');
    expect(error.message).toContain("'fabric.estate.accounts[0].roleArn'");
    expect(error.message).toContain('IAM role ARN');
  });

  it('refuses a role ARN that points into another account', () => {
    const error = errorOf({
      estate: {
        accounts: [{ id: '222222222222', name: 'r', roleArn: 'arn:aws:iam::333333333333:role/x' }],
      },
    });
    expect(error.key).toBe('fabric.estate.accounts[0].roleArn');
    expect(error.message).toContain('must be a role in account 222222222222');
  });

  it('names an unknown key instead of ignoring a typo', () => {
    const error = errorOf({ estate: { sourec: 'demo' } });
    expect(error.key).toBe('fabric.estate.sourec');
    expect(error.message).toContain('unknown key');
  });

  it('names a key of the wrong type', () => {
    const error = errorOf({ discovery: { schedule: { frequencyMinutes: 'often' } } });
    expect(error.key).toBe('fabric.discovery.schedule.frequencyMinutes');
    expect(error.message).toContain('expected number, got string');
  });

  it('refuses AZ-less nonsense regions and duplicate accounts', () => {
    expect(errorOf({ estate: { defaultRegions: ['us-east-1a'] } }).key).toBe('fabric.estate.defaultRegions[0]');
    expect(
      errorOf({
        estate: {
          accounts: [
            { id: '222222222222', name: 'a' },
            { id: '222222222222', name: 'b' },
          ],
        },
      }).message,
    ).toContain('enrolled twice');
  });
});
