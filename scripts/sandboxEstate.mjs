// The sandbox's estate and hub cluster, shared by `npm run sandbox`, `npm run sandbox:submit`
// and the browser test that proves the sandbox works: moto_server behind the fault proxy
// (3 member accounts × 2 regions, each account with its own AZ names, Service Quotas and
// spot prices), the Kubernetes test plane with KWOK as the hub cluster, node join turning
// running instances into Nodes, the cells' VPC/subnets/security group, and a
// FabricNodeClass + NodePool per cell. The portal's backend runs the provisioner on it.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { startLocalEstate } = require('../test-tooling/localEstate.js');
const { EC2Client, CreateVpcCommand, CreateSubnetCommand, CreateSecurityGroupCommand, CreateTagsCommand, DescribeAvailabilityZonesCommand, DescribeInstancesCommand } =
  require('@aws-sdk/client-ec2');
const { STSClient, AssumeRoleCommand } = require('@aws-sdk/client-sts');
const YAML = require('yaml');

export const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
/** Where a running sandbox says how to reach its hub cluster (read by `sandbox:submit`). */
export const STATE_FILE = path.join(ROOT, '.sandbox', 'state.json');
export const SAMPLE_WORKLOAD = path.join(ROOT, 'examples', 'sandbox-workload.yaml');

export const EXTERNAL_ID = 'sandbox-external-id';
export const REGIONS = ['us-east-1', 'us-west-2'];
export const ACCOUNTS = [
  { id: '222222222222', name: 'sandbox-research' },
  { id: '333333333333', name: 'sandbox-inference' },
  { id: '444444444444', name: 'sandbox-batch' },
].map(a => ({ ...a, roleArn: `arn:aws:iam::${a.id}:role/cloudspectra-fabric-member`, externalId: EXTERNAL_ID }));
// moto accepts any key and any AMI id; none of this leaves the machine.
export const HUB_CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };
export const NODE_AMI = 'ami-0f5a3c9e7b1d24680';

const CELL_LABEL = 'fabric.cloudspectra.io/cell';
const cellValue = cell => `${cell.accountId}.${cell.region}`;

// The estate's vCPU quotas, as in many real organisations: every account has a little GPU
// spot quota in each region and more on-demand quota, so no single account holds a
// workload and the fabric pools them (moto has no Service Quotas; the proxy answers).
export const QUOTAS = {
  'L-3819A6DF': 8, // All G and VT Spot Instance Requests: two g6e.xlarge per account × region
  'L-DB2E81BA': 192, // Running On-Demand G and VT instances
  'L-C4BD4855': 0, // All P5 Spot Instance Requests
  'L-417A185B': 0, // Running On-Demand P instances
};

// On-demand list prices ($/h); spot at 30–45 % of them, different in each AZ-ID and a
// little cheaper in us-east-1, as spot markets differ by region.
const ON_DEMAND = {
  'g6e.xlarge': 1.861, 'g6e.2xlarge': 2.242, 'g6e.4xlarge': 3.004, 'g6e.8xlarge': 4.529, 'g6e.12xlarge': 10.493,
  'g6e.16xlarge': 7.577, 'g6e.24xlarge': 15.066, 'g6e.48xlarge': 30.131, 'p5.48xlarge': 55.04,
};
export function spotPrice({ instanceType, azId }) {
  const listPrice = ON_DEMAND[instanceType];
  if (listPrice === undefined) return undefined;
  const spread = [...azId].reduce((n, c) => n + c.charCodeAt(0), 0) % 8;
  const regional = azId.startsWith('use1') ? 0.3 : 0.38;
  return Math.round(listPrice * (regional + spread / 100) * 10000) / 10000;
}

/**
 * Each account's own AZ names, as AWS maps them per account: the account's position shifts
 * the names over the AZ-IDs, so the same AZ-ID is a different `us-east-1x` in each account.
 */
function accountAzNames(accountId, _region, zones) {
  const index = ACCOUNTS.findIndex(a => a.id === accountId);
  if (index < 0 || zones.length < 2) return undefined;
  const byName = [...zones].sort((a, b) => a.zoneName.localeCompare(b.zoneName));
  const shift = 1 + (index % (byName.length - 1));
  const names = {};
  byName.forEach((z, i) => {
    names[z.zoneId] = byName[(i + shift) % byName.length].zoneName;
  });
  return names;
}

/**
 * Starts the estate and the hub cluster and creates what the cells' plans would: a VPC,
 * a subnet per AZ-ID and a security group per cell, tagged as the FabricNodeClass
 * selectors expect, and a FabricNodeClass + NodePool per cell in the hub cluster.
 */
export async function startSandboxEstate({ log = () => {}, verbose = () => {}, writeState = false } = {}) {
  log('starting moto_server (3 accounts × 2 regions) and the hub cluster (kube-apiserver, kube-scheduler, KWOK) …');
  const local = await startLocalEstate({
    accounts: ACCOUNTS.map(a => ({ accountId: a.id, roleArn: a.roleArn, externalId: a.externalId, regions: REGIONS })),
    serviceQuotas: { '*': { '*': QUOTAS } },
    awsDefaultQuotas: QUOTAS,
    spotPrices: spotPrice,
    azNames: accountAzNames,
    join: { intervalMs: 1000, hubCredentials: HUB_CREDENTIALS },
    log: verbose,
  });
  try {
    log(`AWS (moto ${local.moto.version}) at ${local.awsEndpoint}; hub cluster ${local.plane.kubeVersion} at ${local.plane.server}`);
    await ensure(local.plane, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cloudspectra-fabric' } });
    const cells = [];
    for (const account of ACCOUNTS) {
      const credentials = await assumeRole(local.awsEndpoint, account);
      for (const region of REGIONS) {
        const ec2 = new EC2Client({ region, endpoint: local.awsEndpoint, credentials, maxAttempts: 2 });
        const cell = { accountId: account.id, accountName: account.name, region, ec2 };
        cell.azs = await createCellNetwork(cell, cells.length);
        cells.push(cell);
        log(`cell ${cellValue(cell)} (${account.name}): VPC, subnets in ${cell.azs.map(z => `${z.zoneId}=${z.zoneName}`).join(', ')}, security group`);
      }
    }
    for (const cell of cells) {
      for (const object of cellPool(cell)) await ensure(local.plane, 'POST', collectionPath(object), object);
    }
    log(`applied a FabricNodeClass + NodePool per cell (${cells.length}) to the hub cluster`);
    const configFile = writeSandboxConfig(local);
    // Only the interactive sandbox says where it is (for `sandbox:submit`); a test run leaves it alone.
    if (writeState) {
      fs.mkdirSync(path.dirname(STATE_FILE), { recursive: true });
      fs.writeFileSync(
        STATE_FILE,
        JSON.stringify({ server: local.plane.server, token: local.plane.token, kubeconfig: local.plane.kubeconfigPath, aws: local.awsEndpoint, pid: process.pid }, null, 2),
      );
    }
    return {
      local,
      cells,
      configFile,
      async instances() {
        const all = [];
        for (const cell of cells) {
          const out = await cell.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] }));
          for (const r of out.Reservations ?? []) for (const i of r.Instances ?? []) all.push({ ...i, cell: cellValue(cell) });
        }
        return all;
      },
      async stop() {
        for (const cell of cells) cell.ec2.destroy();
        if (writeState) fs.rmSync(STATE_FILE, { force: true });
        await local.stop();
      },
    };
  } catch (error) {
    await local.stop();
    throw error;
  }
}

async function assumeRole(endpoint, account) {
  const sts = new STSClient({ region: 'us-east-1', endpoint, credentials: HUB_CREDENTIALS, maxAttempts: 2 });
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: account.roleArn, RoleSessionName: 'sandbox-setup', ExternalId: account.externalId }));
  sts.destroy();
  return { accessKeyId: out.Credentials.AccessKeyId, secretAccessKey: out.Credentials.SecretAccessKey, sessionToken: out.Credentials.SessionToken };
}

/** What a cell plan creates: a VPC, a subnet in each of three AZ-IDs and a security group. */
async function createCellNetwork(cell, index) {
  const { ec2 } = cell;
  const zones = (await ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones ?? [];
  const chosen = [...zones].sort((a, b) => a.ZoneId.localeCompare(b.ZoneId)).slice(0, 3);
  const tags = [{ Key: CELL_LABEL, Value: cellValue(cell) }, { Key: 'Name', Value: `fabric-${cellValue(cell)}` }];
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${index}.0.0/16` }));
  await ec2.send(new CreateTagsCommand({ Resources: [vpc.Vpc.VpcId], Tags: tags }));
  for (const [i, zone] of chosen.entries()) {
    const subnet = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpc.Vpc.VpcId, CidrBlock: `10.${index}.${i * 16}.0/20`, AvailabilityZoneId: zone.ZoneId }),
    );
    await ec2.send(new CreateTagsCommand({ Resources: [subnet.Subnet.SubnetId], Tags: tags }));
  }
  const group = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'fabric-nodes', Description: 'fabric GPU nodes', VpcId: vpc.Vpc.VpcId }),
  );
  await ec2.send(new CreateTagsCommand({ Resources: [group.GroupId], Tags: tags }));
  return chosen.map(z => ({ zoneId: z.ZoneId, zoneName: z.ZoneName }));
}

/** The member cell's FabricNodeClass and the Karpenter NodePool that refers to it. */
function cellPool(cell) {
  const name = `fabric-${cell.accountId}-${cell.region}`;
  const tags = { [CELL_LABEL]: cellValue(cell) };
  return [
    {
      apiVersion: 'fabric.cloudspectra.io/v1alpha1',
      kind: 'FabricNodeClass',
      metadata: { name },
      spec: {
        accountId: cell.accountId,
        region: cell.region,
        azIds: cell.azs.map(z => z.zoneId),
        subnetSelectorTerms: [{ tags }],
        securityGroupSelectorTerms: [{ tags }],
        role: 'KarpenterNodeRole-fabric-hub',
      },
    },
    {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name },
      spec: {
        template: {
          metadata: { labels: tags },
          spec: {
            nodeClassRef: { group: 'fabric.cloudspectra.io', kind: 'FabricNodeClass', name },
            requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot', 'on-demand'] }],
            taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }],
          },
        },
        weight: 50,
        disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '2m', budgets: [{ nodes: '100%' }] },
      },
    },
  ];
}

/**
 * The fabric configuration that points the portal's backend at this estate: the AWS
 * endpoint, the hub cluster, and the provisioner (layered over app-config.sandbox.yaml).
 */
function writeSandboxConfig(local) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-sandbox-config-'));
  const file = path.join(dir, 'app-config.sandbox.local.yaml');
  const config = {
    fabric: {
      // The provisioner launches instances, which only an estate in apply mode may do.
      estate: { mode: 'apply' },
      aws: { endpoint: local.awsEndpoint },
      hub: { kubernetes: { url: local.plane.server, token: local.plane.token, insecureSkipTlsVerify: true } },
      provisioner: {
        enabled: true,
        imageIds: Object.fromEntries(REGIONS.map(r => [r, NODE_AMI])),
      },
    },
  };
  fs.writeFileSync(file, YAML.stringify(config));
  return file;
}

const COLLECTIONS = {
  Namespace: () => '/api/v1/namespaces',
  Pod: o => `/api/v1/namespaces/${o.metadata.namespace ?? 'default'}/pods`,
  NodePool: () => '/apis/karpenter.sh/v1/nodepools',
  FabricNodeClass: () => '/apis/fabric.cloudspectra.io/v1alpha1/fabricnodeclasses',
  Job: o => `/apis/batch/v1/namespaces/${o.metadata.namespace ?? 'default'}/jobs`,
};
function collectionPath(object) {
  const path = COLLECTIONS[object.kind];
  if (!path) throw new Error(`the sandbox does not know where to create a ${object.kind}`);
  return path(object);
}

/** Creates an object; one that already exists is left as it is. */
async function ensure(plane, method, route, body) {
  const response = await plane.request(method, route, body);
  if (response.status >= 300 && response.status !== 409) {
    throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

/**
 * Creates the sample workload's objects in the hub cluster (what `kubectl apply -f` does
 * for new objects), through anything with `request(method, path, body)`.
 */
export async function submitWorkload(plane, file = SAMPLE_WORKLOAD) {
  const objects = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map(d => d.toJSON()).filter(Boolean);
  const created = [];
  for (const object of objects) {
    if (object.kind === 'Namespace') {
      await ensure(plane, 'POST', '/api/v1/namespaces', object);
    } else {
      await ensure(plane, 'POST', collectionPath(object), object);
    }
    created.push(`${object.kind.toLowerCase()}/${object.metadata.name}`);
  }
  return created;
}

/** A minimal apiserver client from a server URL and bearer token (the plane's, or the state file's). */
export function apiserver({ server, token }) {
  return {
    async request(method, route, body) {
      // The plane's certificate is its own; this client talks to it on loopback only.
      const { Agent, request } = await import('node:https');
      const agent = new Agent({ rejectUnauthorized: false });
      const url = new URL(route, server);
      return new Promise((resolve, reject) => {
        const req = request(
          url,
          { method, agent, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' } },
          res => {
            let text = '';
            res.on('data', chunk => (text += chunk));
            res.on('end', () => {
              let parsed = text;
              try {
                parsed = JSON.parse(text);
              } catch {}
              resolve({ status: res.statusCode ?? 0, body: parsed });
            });
          },
        );
        req.on('error', reject);
        if (body !== undefined) req.write(JSON.stringify(body));
        req.end();
      });
    },
  };
}
