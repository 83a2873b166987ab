import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { startMotoServer, MotoServer } from '@internal/fabric-test-tooling';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsClientFactory } from './AwsClientFactory';

jest.setTimeout(60_000);

/**
 * The ExternalId an account is enrolled with must reach STS on the wire: a role whose
 * trust policy requires it refuses every AssumeRole without it (the confused-deputy
 * guard). moto does not enforce ExternalId, so the test reads what moto_server
 * received, through moto's own request recorder, rather than trusting the SDK call.
 */
describe('AssumeRole carries the account ExternalId to STS (moto_server recorder)', () => {
  let moto: MotoServer;
  let recording: string;
  const savedPath = process.env.MOTO_RECORDER_FILEPATH;

  beforeAll(async () => {
    recording = join(mkdtempSync(join(tmpdir(), 'fabric-moto-recording-')), 'requests.jsonl');
    // moto_server inherits the environment; the recorder writes every request here.
    process.env.MOTO_RECORDER_FILEPATH = recording;
    moto = await startMotoServer();
    if (savedPath === undefined) delete process.env.MOTO_RECORDER_FILEPATH;
    else process.env.MOTO_RECORDER_FILEPATH = savedPath;
    const started = await fetch(`${moto.endpoint}/moto-api/recorder/start-recording`, { method: 'POST' });
    if (started.status !== 200) throw new Error(`moto's recorder did not start: ${started.status}`);
  });

  afterAll(async () => {
    await moto?.stop();
  });

  /** The AssumeRole calls moto received, as decoded form parameters. */
  function assumeRoleCalls(): URLSearchParams[] {
    if (!existsSync(recording)) return [];
    return readFileSync(recording, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(line => JSON.parse(line) as { body?: string; body_encoded?: boolean })
      .map(entry => {
        const body = entry.body_encoded ? Buffer.from(entry.body ?? '', 'base64').toString('utf8') : entry.body ?? '';
        return new URLSearchParams(body);
      })
      .filter(params => params.get('Action') === 'AssumeRole');
  }

  it('sends ExternalId for an account enrolled with one, and none for an account without', async () => {
    const factory = new AwsClientFactory({
      endpoint: moto.endpoint,
      hubCredentials: { accessKeyId: 'hub-access-key', secretAccessKey: 'hub-secret' },
      maxAttempts: 1,
    });
    const guarded = {
      id: '222222222222',
      roleArn: 'arn:aws:iam::222222222222:role/fabric-member',
      externalId: 'planted-external-id-7f3a',
    };
    const open = { id: '333333333333', roleArn: 'arn:aws:iam::333333333333:role/fabric-member' };
    try {
      for (const account of [guarded, open]) {
        const ec2 = factory.ec2({ accountId: account.id, region: 'us-east-1' }, account);
        await ec2.send(new DescribeVpcsCommand({}));
      }
    } finally {
      factory.destroy();
    }

    const calls = assumeRoleCalls();
    const guardedCalls = calls.filter(c => c.get('RoleArn') === guarded.roleArn);
    const openCalls = calls.filter(c => c.get('RoleArn') === open.roleArn);
    expect(guardedCalls).toHaveLength(1);
    expect(guardedCalls[0].get('ExternalId')).toBe(guarded.externalId);
    expect(guardedCalls[0].get('RoleSessionName')).toBe('cloudspectra-fabric');
    expect(openCalls).toHaveLength(1);
    expect(openCalls[0].has('ExternalId')).toBe(false);
  });
});
