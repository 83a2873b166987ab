/*
 * Every software template in templates/ goes through the real scaffolder's dry-run API:
 * the catalog loads it from templates/all.yaml (as app-config does), the scaffolder runs
 * its steps with the fabric's actions against the real fabric backend (demo estate,
 * plan-only), and what the steps render is checked.
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleTemplates from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import fabricPlugin from '@internal/backstage-plugin-fabric-backend';
import scaffolderModuleFabric from '@internal/backstage-plugin-scaffolder-backend-module-fabric';
import fs from 'node:fs';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import yaml from 'yaml';

jest.setTimeout(120_000);

const TEMPLATES_DIR = path.resolve(__dirname, '../../../templates');

/** The read-only discovery actions of README.md "Real accounts", in that order. */
const DISCOVERY_ACTIONS = [
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeInstanceTypeOfferings',
  'ec2:DescribeSpotPriceHistory',
  'ec2:GetSpotPlacementScores',
  'ec2:DescribeCapacityReservations',
  'ec2:DescribeInstances',
  'servicequotas:GetServiceQuota',
  'servicequotas:GetAWSDefaultServiceQuota',
];

/** Template folders: every folder of templates/ with a template.yaml. */
function templateNames(): string[] {
  return fs
    .readdirSync(TEMPLATES_DIR, { withFileTypes: true })
    .filter(d => d.isDirectory() && fs.existsSync(path.join(TEMPLATES_DIR, d.name, 'template.yaml')))
    .map(d => d.name)
    .sort();
}

/** A template folder's files other than template.yaml, as the dry-run API takes them. */
function directoryContents(name: string) {
  const root = path.join(TEMPLATES_DIR, name);
  return (fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter(d => d.isFile())
    .map(d => path.relative(root, path.join(d.parentPath, d.name)))
    .filter(p => p !== 'template.yaml')
    .map(p => ({
      path: p.split(path.sep).join('/'),
      base64Content: fs.readFileSync(path.join(root, p)).toString('base64'),
    }));
}

interface DryRunResult {
  status: number;
  body: {
    log: Array<{ body: { message: string; stepId?: string; status?: string } }>;
    directoryContents: Array<{ path: string; base64Content: string }>;
    output: { links?: Array<{ title: string; url?: string; icon?: string; entityRef?: string }>; text?: Array<{ title: string; content: string }> };
    error?: { name: string; message: string };
    errors?: unknown[];
  };
  file(filePath: string): string;
  /** The input a step's action ran with, as the scaffolder logged it. */
  input(stepId: string): Record<string, any>;
  stepStatus(stepId: string): string | undefined;
}

describe('software templates (scaffolder dry run, real scaffolder and fabric backends)', () => {
  let baseUrl: string;
  let stop: () => Promise<void>;
  const templates = new Map<string, unknown>();

  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers: {
        Authorization: 'Bearer mock-user-token',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  const dryRun = async (name: string, values: Record<string, unknown>): Promise<DryRunResult> => {
    const { status, body } = await call('POST', '/api/scaffolder/v2/dry-run', {
      template: templates.get(name),
      values,
      secrets: {},
      directoryContents: directoryContents(name),
    });
    return {
      status,
      body,
      file(filePath) {
        const file = body.directoryContents?.find((f: { path: string }) => f.path === filePath);
        if (!file) {
          throw new Error(`${filePath} not rendered; got ${body.directoryContents?.map((f: any) => f.path).join(', ')}`);
        }
        return Buffer.from(file.base64Content, 'base64').toString('utf8');
      },
      input(stepId) {
        const entry = body.log.find(
          (l: any) => l.body.stepId === stepId && /in dry-run mode with inputs/.test(l.body.message),
        );
        if (!entry) throw new Error(`No input logged for step ${stepId}`);
        return JSON.parse(entry.body.message.slice(entry.body.message.indexOf('{')));
      },
      stepStatus(stepId) {
        return [...body.log].reverse().find((l: any) => l.body.stepId === stepId && l.body.status)?.body.status;
      },
    };
  };

  const expectSuccess = (result: DryRunResult) => {
    expect({ status: result.status, error: result.body.error, errors: result.body.errors }).toEqual({
      status: 200,
      error: undefined,
      errors: undefined,
    });
  };

  beforeAll(async () => {
    const backend = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModuleTemplates,
        scaffolderPlugin,
        scaffolderModuleFabric,
        fabricPlugin,
        mockServices.rootConfig.factory({
          data: {
            catalog: {
              rules: [{ allow: ['Component', 'System', 'API', 'Resource', 'Location'] }],
              locations: [
                {
                  type: 'file',
                  target: path.join(TEMPLATES_DIR, 'all.yaml'),
                  rules: [{ allow: ['Template', 'Location'] }],
                },
              ],
            },
          },
        }),
      ],
    });
    stop = () => backend.stop();
    baseUrl = `http://localhost:${(backend.server.address() as AddressInfo).port}`;

    // The catalog ingests templates/all.yaml in the background: wait for every template.
    const deadline = Date.now() + 90_000;
    for (const name of templateNames()) {
      for (;;) {
        const res = await call('GET', `/api/catalog/entities/by-name/template/default/${name}`);
        if (res.status === 200) {
          templates.set(name, res.body);
          break;
        }
        if (Date.now() > deadline) throw new Error(`The catalog never loaded template ${name} from templates/all.yaml`);
        await new Promise(r => setTimeout(r, 250));
      }
    }
  });
  afterAll(() => stop?.());

  it('registers every template folder in templates/all.yaml, each named after its folder', () => {
    const names = templateNames();
    expect(names).toEqual(expect.arrayContaining(['enroll-account', 'gpu-capacity-check', 'gpu-workload', 'training-island']));
    for (const name of names) {
      expect((templates.get(name) as any).metadata.name).toBe(name);
    }
  });

  it('gpu-capacity-check', async () => {
    const result = await dryRun('gpu-capacity-check', { gpu: 'H100', intent: 'tightly-coupled', region: 'us-east-1' });
    expectSuccess(result);
    expect(result.stepStatus('capacity')).toBe('completed');
  });

  describe('gpu-workload', () => {
    const values = {
      name: 'llm-finetune',
      description: 'Fine-tunes the base model: "v2"',
      owner: 'group:default/ml-research',
      intent: 'tightly-coupled',
      gpu: 'p5',
      totalGpus: 16,
      gpusPerNode: 8,
      capacity: { region: 'us-east-1', azId: 'use1-az4' },
    };

    it('renders the component with the fabric annotations and dry-runs the placement and manifests', async () => {
      const result = await dryRun('gpu-workload', values);
      expectSuccess(result);
      const entity = yaml.parse(result.file('catalog-info.yaml'));
      expect(entity).toEqual({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'llm-finetune',
          description: 'Fine-tunes the base model: "v2"',
          annotations: {
            'cloudspectra.io/fabric-workload': 'tightly-coupled',
            'cloudspectra.io/fabric-gpu': 'H100',
          },
        },
        spec: { type: 'service', lifecycle: 'experimental', owner: 'group:default/ml-research' },
      });
      expect(result.input('placement')).toEqual({
        entityRef: 'component:default/llm-finetune',
        intent: 'tightly-coupled',
        gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
        allowedRegions: ['us-east-1'],
        azId: 'use1-az4',
      });
      expect(result.stepStatus('placement')).toBe('completed');
      expect(result.stepStatus('manifests')).toBe('completed');
      expect(result.file('fabric/000000000000.yaml')).toMatch(/^# Dry run/);
      expect(result.file('fabric/000000000000-pod-scheduling.yaml')).toMatch(/^# Dry run/);
      expect(result.input('register')).toEqual({
        name: 'llm-finetune',
        description: 'Fine-tunes the base model: "v2"',
        owner: 'group:default/ml-research',
        intent: 'tightly-coupled',
        gpu: 'H100',
      });
      expect(result.stepStatus('register')).toBe('completed');
      expect(result.body.output.links).toEqual([
        { title: 'Open component', icon: 'catalog', entityRef: 'component:default/llm-finetune' },
        { title: 'GPU Fabric estate', url: '/fabric' },
      ]);
      expect(result.body.output.text?.[0].content).toContain('**dry-run**');
      expect(result.body.output.text?.map(t => t.content).join('\n')).not.toContain('not registered');
    });

    it('passes an instance type as instanceTypes and leaves out what the form left empty', async () => {
      const { capacity: _c, gpusPerNode: _g, description: _d, ...rest } = values;
      const result = await dryRun('gpu-workload', { ...rest, intent: 'throughput', gpu: 'g6e.12xlarge', totalGpus: 8 });
      expectSuccess(result);
      expect(result.input('placement')).toEqual({
        entityRef: 'component:default/llm-finetune',
        intent: 'throughput',
        gpu: { instanceTypes: ['g6e.12xlarge'], totalGpus: 8 },
      });
      const entity = yaml.parse(result.file('catalog-info.yaml'));
      expect(entity.metadata.description).toBeUndefined();
      expect(entity.metadata.annotations['cloudspectra.io/fabric-gpu']).toBe('g6e.12xlarge');
      expect(result.input('register')).toEqual({
        name: 'llm-finetune',
        owner: 'group:default/ml-research',
        intent: 'throughput',
        gpu: 'g6e.12xlarge',
      });
    });

    it('fails the dry run with the fabric schema message for a request the fabric would refuse as malformed', async () => {
      const result = await dryRun('gpu-workload', { ...values, totalGpus: 12 });
      expect(result.status).toBe(400);
      expect(result.body.error?.message).toBe(
        'Invalid placement request: gpu.totalGpus must be a multiple of gpusPerNode (8), since every node carries that many GPUs',
      );
    });

    it("fails the dry run when the AZ-ID is not in the picked region (the picker's value is checked)", async () => {
      const result = await dryRun('gpu-workload', { ...values, capacity: { region: 'us-west-2', azId: 'use1-az4' } });
      expect(result.status).toBe(400);
      expect(result.body.error?.message).toBe('azId use1-az4 is not in the allowed regions (us-west-2)');
    });
  });

  /** Runs a template for real (not a dry run) and returns its final status, log and output. */
  const runTask = async (name: string, values: Record<string, unknown>) => {
    const created = await call('POST', '/api/scaffolder/v2/tasks', { templateRef: `template:default/${name}`, values });
    expect(created.status).toBe(201);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const task = await call('GET', `/api/scaffolder/v2/tasks/${created.body.id}`);
      if (['completed', 'failed', 'cancelled'].includes(task.body.status)) {
        const events = await call('GET', `/api/scaffolder/v2/tasks/${created.body.id}/events`);
        const log: string[] = events.body.filter((e: any) => e.type === 'log').map((e: any) => e.body.message);
        const completion = events.body.find((e: any) => e.type === 'completion');
        return { status: task.body.status as string, log, output: completion?.body.output, message: completion?.body.message };
      }
      if (Date.now() > deadline) throw new Error(`Task ${created.body.id} is still ${task.body.status}`);
      await new Promise(r => setTimeout(r, 250));
    }
  };

  it('gpu-workload runs for real: the placement is stored for the new component and its manifests are rendered', async () => {
    const task = await runTask('gpu-workload', {
      name: 'llm-real-run',
      owner: 'group:default/ml-research',
      intent: 'tightly-coupled',
      gpu: 'p5',
      totalGpus: 8,
      gpusPerNode: 8,
      capacity: { region: 'us-east-1' },
    });
    expect({ status: task.status, failure: task.log.find(l => /Error/.test(l)) }).toEqual({ status: 'completed', failure: undefined });
    const placements = await call('GET', '/api/fabric/placements?entityRef=component:default/llm-real-run');
    expect(placements.body.items).toHaveLength(1);
    const [placement] = placements.body.items;
    expect(placement.placement.request.allowedRegions).toEqual(['us-east-1']);
    const short = placement.id.replace(/-/g, '').slice(0, 12);
    expect(task.log.join('\n')).toContain(`Wrote fabric/${short}.yaml and fabric/${short}-pod-scheduling.yaml`);
    const text = task.output.text.map((t: any) => t.content).join('\n');
    expect(text).toContain(`**placed**: 8 GPUs in\n${placement.placement.chosen[0].azId}`);
    expect(text).toContain('kind: NodePool');
    expect(task.output.links).toContainEqual({
      title: 'Open component',
      icon: 'catalog',
      entityRef: 'component:default/llm-real-run',
    });
    const workloads = await call('GET', '/api/fabric/workloads');
    const workload = workloads.body.items.find((w: any) => w.entityRef === 'component:default/llm-real-run');
    expect(workload.entity.metadata.annotations).toMatchObject({
      'cloudspectra.io/fabric-workload': 'tightly-coupled',
      'cloudspectra.io/fabric-gpu': 'H100',
    });
    expect(workload.entity.spec.owner).toBe('group:default/ml-research');
  });

  it('training-island with apply fails for real with the plan-only message, the plan stored unapplied', async () => {
    const task = await runTask('training-island', {
      source: 'spec',
      islandId: 'real-run',
      region: 'us-east-1',
      azId: 'use1-az4',
      instanceType: 'p5.48xlarge',
      members: ['111111111111'],
      networkAccountId: '444444444444',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      subnetCidr: '10.80.16.0/22',
      apply: true,
    });
    expect(task.status).toBe('failed');
    const failure = task.log.find(l => l.includes('plan-only mode'));
    expect(failure).toMatch(/The fabric runs in plan-only mode: plans are shown but never applied\./);
    const planId = /plan ([0-9a-f-]{36}) is stored/.exec(failure!)![1];
    expect((await call('GET', `/api/fabric/plans/${planId}`)).body).toMatchObject({ subject: 'real-run', status: 'planned' });
  });

  describe('training-island', () => {
    const network = {
      networkAccountId: '444444444444',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      vpcCidr: '10.80.0.0/16',
      subnetCidr: '10.80.8.0/22',
    };

    it('from a stored tightly-coupled placement', async () => {
      const placed = await call('POST', '/api/fabric/placements', {
        entityRef: 'component:default/llm-pretraining',
        intent: 'tightly-coupled',
        gpu: { family: 'p5', gpusPerNode: 8, totalGpus: 16 },
      });
      expect(placed.status).toBe(201);
      const result = await dryRun('training-island', {
        source: 'placement',
        placementId: placed.body.id,
        ...network,
        apply: true,
      });
      expectSuccess(result);
      expect(result.input('island')).toEqual({ placementId: placed.body.id, ...network, apply: true });
      expect(result.stepStatus('island')).toBe('completed');
      expect(result.body.output.links).toEqual([
        { title: 'Island plan', url: '/fabric/plans/00000000-0000-0000-0000-000000000000' },
      ]);
    });

    it('from an AZ-ID, an instance type and member accounts', async () => {
      const result = await dryRun('training-island', {
        source: 'spec',
        islandId: 'llm-use1-az4',
        region: 'us-east-1',
        azId: 'use1-az4',
        instanceType: 'p5.48xlarge',
        members: ['111111111111', '222222222222'],
        ...network,
      });
      expectSuccess(result);
      expect(result.input('island')).toEqual({
        islandId: 'llm-use1-az4',
        region: 'us-east-1',
        azId: 'use1-az4',
        instanceTypes: ['p5.48xlarge'],
        memberAccountIds: ['111111111111', '222222222222'],
        ...network,
      });
      expect(result.body.output.text?.[0].content).toContain('Island `llm-use1-az4`');
    });

    it('says when the placement does not exist', async () => {
      const result = await dryRun('training-island', {
        source: 'placement',
        placementId: '6b1f3c2e-0000-4000-8000-000000000009',
        ...network,
      });
      expect(result.status).toBe(404);
      expect(result.body.error?.message).toBe('Fabric: No placement 6b1f3c2e-0000-4000-8000-000000000009');
    });
  });

  describe('enroll-account', () => {
    const values = {
      accountId: '222222222222',
      name: 'ml-research',
      role: 'member',
      regions: ['us-east-1', 'us-west-2'],
      hubAccountId: '111111111111',
      hubRoleName: 'cloudspectra-fabric-hub',
    };

    /** Actions of each IAM policy statement by Sid, from the CloudFormation template. */
    const cfnStatements = (doc: any) =>
      Object.fromEntries(
        doc.Resources.FabricRole.Properties.Policies[0].PolicyDocument.Statement.map((s: any) => [s.Sid, s.Action]),
      );
    /** Actions of each statement by sid, from the Terraform policy document. */
    const tfStatements = (tf: string) => {
      const policy = tf.slice(tf.indexOf('data "aws_iam_policy_document" "fabric"'), tf.indexOf('resource "aws_iam_role_policy"'));
      return Object.fromEntries(
        policy
          .split(/\n {2}statement \{/)
          .slice(1)
          .map(block => [
            /sid\s+=\s+"(\w+)"/.exec(block)![1],
            JSON.parse(/actions\s+=\s+(\[[^\]]*\])/.exec(block)![1].replace(/,(\s*)\]/, '$1]')),
          ]),
      );
    };
    const parseCfn = (text: string) => yaml.parse(text, { customTags: [{ tag: '!GetAtt', resolve: (v: string) => ({ 'Fn::GetAtt': v }) }] });

    it('renders the role with exactly the discovery actions, trusting the hub role without ExternalId', async () => {
      const result = await dryRun('enroll-account', values);
      expectSuccess(result);
      const cfn = parseCfn(result.file('cloudformation/member-role.yaml'));
      const role = cfn.Resources.FabricRole.Properties;
      expect(role.RoleName).toBe('cloudspectra-fabric-member');
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Sid: 'FabricHub',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111111111111:role/cloudspectra-fabric-hub' },
          Action: 'sts:AssumeRole',
        },
      ]);
      expect(cfnStatements(cfn)).toEqual({ Discovery: DISCOVERY_ACTIONS });
      expect(role.Policies[0].PolicyDocument.Statement[0].Condition).toEqual({
        StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'us-west-2'] },
      });

      const tf = result.file('terraform/member-role.tf');
      expect(tfStatements(tf)).toEqual({ Discovery: DISCOVERY_ACTIONS });
      expect(tf).not.toContain('sts:ExternalId');
      expect(tf).toContain('regions      = ["us-east-1", "us-west-2"]');

      expect(yaml.parse(result.file('app-config.estate-snippet.yaml'))).toEqual({
        fabric: {
          estate: {
            accounts: [
              {
                id: '222222222222',
                name: 'ml-research',
                role: 'member',
                roleArn: 'arn:aws:iam::222222222222:role/cloudspectra-fabric-member',
                regions: ['us-east-1', 'us-west-2'],
              },
            ],
          },
        },
      });
      expect(result.body.output.text?.[0].content).toMatch(
        /- `app-config.estate-snippet.yaml`\n- `cloudformation\/member-role.yaml`\n- `terraform\/member-role.tf`/,
      );
    });

    it('adds the ExternalId condition, and the mesh and island member actions when asked', async () => {
      const result = await dryRun('enroll-account', {
        ...values,
        externalId: 'fabric-7f3a:research',
        meshActions: true,
        islandActions: true,
      });
      expectSuccess(result);
      const cfn = parseCfn(result.file('cloudformation/member-role.yaml'));
      expect(cfn.Resources.FabricRole.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
        StringEquals: { 'sts:ExternalId': 'fabric-7f3a:research' },
      });
      const expected = {
        Discovery: DISCOVERY_ACTIONS,
        PeeringMesh: [
          'ec2:DescribeVpcs',
          'ec2:DescribeRouteTables',
          'ec2:DescribeVpcPeeringConnections',
          'ec2:CreateVpcPeeringConnection',
          'ec2:AcceptVpcPeeringConnection',
          'ec2:ModifyVpcPeeringConnectionOptions',
          'ec2:DeleteVpcPeeringConnection',
          'ec2:CreateRoute',
          'ec2:ReplaceRoute',
          'ec2:DeleteRoute',
        ],
        PeeringMeshTagOnCreate: ['ec2:CreateTags'],
        IslandMember: [
          'ec2:CreateLaunchTemplate',
          'ec2:DeleteLaunchTemplate',
          'ec2:DescribeLaunchTemplates',
          'ec2:DescribeLaunchTemplateVersions',
        ],
        IslandMemberTagOnCreate: ['ec2:CreateTags'],
      };
      expect(cfnStatements(cfn)).toEqual(expected);

      const tf = result.file('terraform/member-role.tf');
      expect(tfStatements(tf)).toEqual(expected);
      expect(tf).toMatch(
        /condition \{\n\s+test\s+= "StringEquals"\n\s+variable = "sts:ExternalId"\n\s+values\s+= \["fabric-7f3a:research"\]\n\s+\}/,
      );

      const snippet = result.file('app-config.estate-snippet.yaml');
      // The ExternalId stays out of config: the entry reads it from the environment.
      expect(snippet).not.toContain('fabric-7f3a:research');
      expect(yaml.parse(snippet).fabric.estate.accounts[0].externalId).toBe('${FABRIC_ML_RESEARCH_EXTERNAL_ID}');
    });

    it("gives a network account the island's network actions instead of launch templates", async () => {
      const result = await dryRun('enroll-account', {
        ...values,
        accountId: '444444444444',
        name: 'network',
        role: 'network',
        regions: ['us-east-1'],
        islandActions: true,
      });
      expectSuccess(result);
      const statements = cfnStatements(parseCfn(result.file('cloudformation/member-role.yaml')));
      expect(Object.keys(statements)).toEqual(['Discovery', 'IslandNetwork', 'IslandNetworkTagOnCreate']);
      expect(statements.IslandNetwork).toEqual(
        expect.arrayContaining(['ec2:CreateSubnet', 'ec2:CreatePlacementGroup', 'ram:CreateResourceShare']),
      );
      expect(tfStatements(result.file('terraform/member-role.tf'))).toEqual(statements);
      expect(yaml.parse(result.file('app-config.estate-snippet.yaml')).fabric.estate.accounts[0].role).toBe('network');
    });

    it('refuses parameters the form would refuse', async () => {
      const result = await dryRun('enroll-account', { ...values, accountId: '2222' });
      expect(result.status).toBe(400);
      expect(JSON.stringify(result.body.errors)).toContain('accountId');
    });
  });
});
