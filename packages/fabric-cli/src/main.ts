/* eslint-disable no-console */
import {
  CapacityResponse,
  cellId,
  FABRIC_INTENTS,
  PlacementRecord,
  PlanSummary,
  PlanView,
  SPOT_POLICIES,
} from '@internal/backstage-plugin-fabric-common';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { runController } from './controller';

/** What the CLI talks to, injected so tests run it in-process against a real backend. */
export interface CliIo {
  fetch: typeof fetch;
  /** Stops a long-running command (the controller); default: SIGTERM or SIGINT. */
  signal?: AbortSignal;
  env: Record<string, string | undefined>;
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

const usage = `fabric — CloudSpectra Fabric from a pipeline

Usage:
  fabric capacity [--gpu H100] [--family p5] [--region us-east-1] [--az-id use1-az4]
                  [--intent ${FABRIC_INTENTS.join('|')}] [--capacity-type spot|on-demand|reserved]
  fabric place    --entity component:default/name --intent <intent> --gpus <total>
                  (--family p5 | --instance-type p5.48xlarge | --min-gpu-memory <GiB>)
                  [--gpus-per-node 8] [--spot-policy ${SPOT_POLICIES.join('|')}] [--max-hourly-price 100]
                  [--region us-east-1 ...]
  fabric plan mesh
  fabric plan mesh-destroy          plans removing what the fabric's mesh created
  fabric plan island --file island.json
  fabric plan show <planId>
  fabric apply <planId> [--wait] [--timeout 600]
  fabric controller --config app-config.yaml [--config more.yaml ...] [--identity <name>]
                    runs the provisioner (pending GPU pods → nodes in any enrolled cell);
                    needs fabric.provisioner.enabled, fabric.hub.kubernetes and an AWS
                    estate in apply mode; one replica leads through a Lease

Options:
  --url <url>       fabric backend (default $FABRIC_URL or http://localhost:7007)
  --token <token>   Backstage token (default $FABRIC_TOKEN; a static external-access token)
  --output json     machine-readable output (default: text)

Exit codes: 0 success · 1 the fabric refused or failed · 2 usage error.
`;

class UsageError extends Error {}

/** Runs one CLI invocation and returns its exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        output: { type: 'string', default: 'text' },
        gpu: { type: 'string' },
        family: { type: 'string' },
        'instance-type': { type: 'string', multiple: true },
        'min-gpu-memory': { type: 'string' },
        region: { type: 'string', multiple: true },
        'az-id': { type: 'string' },
        intent: { type: 'string' },
        'capacity-type': { type: 'string' },
        entity: { type: 'string' },
        gpus: { type: 'string' },
        'gpus-per-node': { type: 'string' },
        'spot-policy': { type: 'string' },
        'max-hourly-price': { type: 'string' },
        file: { type: 'string' },
        wait: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '600' },
        help: { type: 'boolean', short: 'h', default: false },
        config: { type: 'string', multiple: true },
        identity: { type: 'string' },
      },
    });
  } catch (error) {
    io.err.write(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? io.out : io.err).write(usage);
    return values.help ? 0 : 2;
  }
  if (values.output !== 'json' && values.output !== 'text') {
    io.err.write(`--output must be json or text\n`);
    return 2;
  }
  if (positionals[0] === 'controller') {
    if (!values.config?.length) {
      io.err.write(`fabric controller needs at least one --config file\n\n${usage}`);
      return 2;
    }
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    try {
      return await runController({ configPaths: values.config, identity: values.identity }, { ...io, signal: io.signal ?? abort.signal });
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    }
  }
  const base = (values.url ?? io.env.FABRIC_URL ?? 'http://localhost:7007').replace(/\/$/, '');
  const token = values.token ?? io.env.FABRIC_TOKEN;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await io.fetch(`${base}/api/fabric${path}`, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      throw new Error(`${res.status} ${json?.error?.name ?? res.statusText}: ${json?.error?.message ?? text.slice(0, 300)}`);
    }
    return json as T;
  };
  const print = (json: unknown, text: string) => {
    io.out.write(values.output === 'json' ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
  };
  const int = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive whole number, got '${value}'`);
    return n;
  };

  try {
    const [command, sub, arg] = positionals;
    switch (command) {
      case 'capacity': {
        const query = new URLSearchParams();
        if (values.gpu) query.set('gpu', values.gpu);
        if (values.family) query.set('family', values.family);
        if (values.region?.[0]) query.set('region', values.region[0]);
        if (values['az-id']) query.set('azId', values['az-id']);
        if (values.intent) query.set('intent', values.intent);
        if (values['capacity-type']) query.set('capacityType', values['capacity-type']);
        const capacity = await call<CapacityResponse>('GET', `/capacity?${query}`);
        const lines = capacity.byRegionAndGpu.map(
          g => `${g.region.padEnd(14)} ${g.gpu.padEnd(9)} ${String(g.gpus).padStart(6)} GPUs within quota`,
        );
        print(capacity, [`${capacity.source} estate, ${capacity.rows.length} offerings`, ...lines].join('\n'));
        return 0;
      }
      case 'place': {
        if (!values.entity || !values.intent || !values.gpus) {
          throw new UsageError('place needs --entity, --intent and --gpus');
        }
        const gpu: Record<string, unknown> = { totalGpus: int('gpus', values.gpus) };
        if (values.family) gpu.family = values.family;
        if (values['instance-type']) gpu.instanceTypes = values['instance-type'];
        if (values['min-gpu-memory']) gpu.minGpuMemoryGiB = Number(values['min-gpu-memory']);
        if (values['gpus-per-node']) gpu.gpusPerNode = int('gpus-per-node', values['gpus-per-node']);
        const request: Record<string, unknown> = { entityRef: values.entity, intent: values.intent, gpu };
        if (values['spot-policy']) request.spotPolicy = values['spot-policy'];
        if (values['max-hourly-price']) request.maxHourlyPrice = Number(values['max-hourly-price']);
        if (values.region) request.allowedRegions = values.region;
        const record = await call<PlacementRecord>('POST', '/placements', request);
        const p = record.placement;
        const where = [...new Set(p.chosen.map(c => `${c.azId} ${cellId(c)}`))].join(', ');
        print(
          record,
          `placement ${record.id}: ${p.status}, ${p.totals.gpus}/${p.request.gpu.totalGpus} GPUs${where ? ` in ${where}` : ''}, $${p.cost.computePerHour.toFixed(2)}/h${
            p.largestFeasibleGpus !== undefined ? `, largest feasible now ${p.largestFeasibleGpus}` : ''
          }`,
        );
        // A placement the fabric cannot make now is a failure for a pipeline.
        return p.status === 'placed' ? 0 : 1;
      }
      case 'plan': {
        if (sub === 'mesh') {
          const plan = await call<PlanSummary>('POST', '/mesh/plan', {});
          const { planned = [], refused = [] } = plan.details ?? {};
          print(plan, `plan ${plan.id}: ${plan.plan.steps.length} steps, ${planned.length} peerings, ${refused.length} refused`);
          return 0;
        }
        if (sub === 'mesh-destroy') {
          // Plans the removal only; `fabric apply <planId>` carries it out after review.
          const plan = await call<PlanSummary>('DELETE', '/mesh');
          print(plan, `plan ${plan.id}: remove the mesh the fabric created, ${plan.plan.steps.length} steps (apply it with: fabric apply ${plan.id})`);
          return 0;
        }
        if (sub === 'island') {
          if (!values.file) throw new UsageError('plan island needs --file <island.json>');
          let spec;
          try {
            spec = JSON.parse(await readFile(values.file, 'utf8'));
          } catch (error) {
            throw new UsageError(`cannot read ${values.file}: ${(error as Error).message}`);
          }
          const plan = await call<PlanSummary>('POST', '/islands', spec);
          print(plan, `plan ${plan.id}: island ${plan.subject}, ${plan.plan.steps.length} steps`);
          return 0;
        }
        if (sub === 'show' && arg) {
          const plan = await call<PlanView>('GET', `/plans/${encodeURIComponent(arg)}`);
          print(plan, [`plan ${plan.id} (${plan.kind}): ${plan.status}`, ...plan.steps.map(s => `  ${s.status.padEnd(8)} ${s.title}`)].join('\n'));
          return 0;
        }
        throw new UsageError('plan needs one of: mesh, mesh-destroy, island --file <f>, show <planId>');
      }
      case 'apply': {
        if (!sub) throw new UsageError('apply needs a plan id');
        let plan = await call<PlanView>('POST', `/plans/${encodeURIComponent(sub)}/apply`);
        if (values.wait) {
          const deadline = Date.now() + (int('timeout', values.timeout) ?? 600) * 1000;
          while (plan.status === 'applying' && Date.now() < deadline) {
            await new Promise(r => setTimeout(r, 1000));
            plan = await call<PlanView>('GET', `/plans/${encodeURIComponent(sub)}`);
            if (values.output === 'text') {
              const done = plan.steps.filter(s => s.status === 'done').length;
              io.err.write(`  ${done}/${plan.steps.length} steps done\n`);
            }
          }
        }
        print(plan, `plan ${plan.id}: ${plan.status}`);
        return plan.status === 'failed' ? 1 : 0;
      }
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err.write(`${error.message}\n\n${usage}`);
      return 2;
    }
    io.err.write(`fabric: ${(error as Error).message}\n`);
    return 1;
  }
}
