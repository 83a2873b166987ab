import { startTestBackend } from '@backstage/backend-test-utils';
import fabricPlugin from '@internal/backstage-plugin-fabric-backend';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './main';

jest.setTimeout(60_000);

// The CLI against the real fabric backend (demo estate, plan-only), as a pipeline runs it.
describe('fabric CLI', () => {
  let url: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const backend = await startTestBackend({ features: [fabricPlugin] });
    url = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
    stop = () => backend.stop();
  });
  afterAll(() => stop());

  async function run(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await main(['--url', url, ...argv], {
      fetch: globalThis.fetch,
      env: {},
      out: { write: (t: string) => (out += t) },
      err: { write: (t: string) => (err += t) },
    });
    return { code, out, err };
  }

  it('prints capacity as text and as JSON', async () => {
    const text = await run('capacity', '--gpu', 'H100');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^demo estate, \d+ offerings/);
    expect(text.out).toMatch(/us-east-1\s+H100\s+\d+ GPUs within quota/);
    const json = await run('capacity', '--gpu', 'H100', '--output', 'json');
    expect(JSON.parse(json.out).rows.every((r: any) => r.gpu === 'H100')).toBe(true);
  });

  it('places a workload and exits 0 with the placement as JSON', async () => {
    const res = await run(
      'place', '--entity', 'component:default/batch-embeddings', '--intent', 'throughput',
      '--family', 'g6', '--gpus', '8', '--output', 'json',
    );
    expect(res.code).toBe(0);
    const record = JSON.parse(res.out);
    expect(record.placement.status).toBe('placed');
    expect(record.placement.totals.gpus).toBe(8);
  });

  it('exits 1 when the gang cannot be placed now, saying the largest size that fits', async () => {
    const res = await run(
      'place', '--entity', 'component:default/llm-pretraining', '--intent', 'tightly-coupled',
      '--family', 'p5', '--gpus-per-node', '8', '--gpus', '4096',
    );
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/cannot-place-now, 0\/4096 GPUs, .*largest feasible now \d+/);
  });

  it('exits 1 with the fabric\'s own message for a bad request', async () => {
    const res = await run('place', '--entity', 'llm', '--intent', 'throughput', '--family', 'p5', '--gpus', '8');
    expect(res.code).toBe(1);
    expect(res.err).toContain('400 InputError');
    expect(res.err).toContain('entityRef');
  });

  it('exits 2 for usage errors without calling the fabric', async () => {
    expect((await run('place', '--intent', 'throughput')).code).toBe(2);
    expect((await run('place', '--entity', 'component:default/x', '--intent', 'throughput', '--gpus', 'many')).err).toContain(
      '--gpus must be a positive whole number',
    );
    expect((await run('frobnicate')).code).toBe(2);
  });

  it('plans the mesh and refuses to apply it in plan-only mode (exit 1)', async () => {
    const planned = await run('plan', 'mesh', '--output', 'json');
    expect(planned.code).toBe(0);
    const plan = JSON.parse(planned.out);
    expect(plan.details.planned.length).toBe(36);
    const shown = await run('plan', 'show', plan.id);
    expect(shown.out).toMatch(/: planned\n\s+pending/);
    const applied = await run('apply', plan.id, '--wait');
    expect(applied.code).toBe(1);
    expect(applied.err).toContain('plan-only');
  });

  it('plans removing the mesh, and says so when the fabric created nothing to remove (exit 1)', async () => {
    const res = await run('plan', 'mesh-destroy');
    expect(res.code).toBe(1);
    expect(res.err).toContain('409');
    expect(res.err).toContain('nothing the fabric created');
  });

  it('plans an island from a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fabric-cli-'));
    const file = join(dir, 'island.json');
    writeFileSync(
      file,
      JSON.stringify({
        id: 'cli-island', region: 'us-east-1', azId: 'use1-az4', networkAccountId: '444444444444',
        vpcId: 'vpc-0a1b2c3d4e5f60718', vpcCidr: '10.80.0.0/16', subnetCidr: '10.80.16.0/22',
        memberAccountIds: ['111111111111'], instanceTypes: ['p5.48xlarge'],
      }),
    );
    const res = await run('plan', 'island', '--file', file);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/island cli-island, \d+ steps/);
  });

  it('runs as an executable: fabric --help', () => {
    const result = spawnSync(process.execPath, [join(__dirname, '..', 'bin', 'fabric'), '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('fabric — CloudSpectra Fabric from a pipeline');
    expect(result.stdout).toContain('--intent throughput|tightly-coupled|balanced');
    expect(result.stdout).toContain('--spot-policy spot-only|spot-first|on-demand-only|reserved-first');
  });
});
