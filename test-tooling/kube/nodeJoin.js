// @ts-check
'use strict';

// Node join: turns each running EC2 instance in moto into a Kubernetes Node, the way
// nodeadm + kubelet register a real EKS node, so the fabric's launches become nodes
// the scheduler can use. KWOK (startControlPlane({ kwok: true })) then acts as the
// kubelet of those Nodes: Ready, leases, Pods Running.
//
// What a joined Node carries (as kubelet + the AWS cloud provider would set it):
// - name: the instance's private DNS name (ip-10-0-1-5.ec2.internal); if another
//   instance (another account or region) already holds that name, the resource name
//   <instance-id>.<region>.compute.internal (EKS's other hostname type);
// - spec.providerID aws:///<az-name>/<instance-id>;
// - capacity and allocatable from DescribeInstanceTypes: cpu, memory, pods 110,
//   nvidia.com/gpu (the GPU count), vpc.amazonaws.com/efa (the EFA interface count);
// - labels kubernetes.io/hostname, kubernetes.io/os, kubernetes.io/arch,
//   node.kubernetes.io/instance-type, topology.kubernetes.io/region,
//   topology.kubernetes.io/zone (the AZ name AS THE INSTANCE'S ACCOUNT NAMES IT) and
//   topology.k8s.aws/zone-id (the AZ-ID);
// - the labels and taints the launch asked for. Like nodeadm, from the instance's user
//   data: the kubelet flags --node-labels=k=v,... and --register-with-taints=k=v:Effect,...
//   (anywhere in it, e.g. in a NodeConfig's spec.kubelet.flags). Tags may add more:
//   fabric.cloudspectra.io/node-labels (a JSON object) and
//   fabric.cloudspectra.io/node-taints (a JSON array of {key, value, effect}).
// - the annotation kwok.x-k8s.io/node: fake, so KWOK manages it.
// A Node is deleted when its instance is shutting down, terminated or gone, and so are
// the Pods bound to it (the pod garbage collector's job; the test plane has none).
//
// Use the fault proxy's endpoint (to see each account's own AZ names); the join's calls
// carry a header that exempts them from fault rules, since a kubelet does not call EC2.
//
// EC2 is called with @aws-sdk/client-ec2 and client-sts from the repository's
// node_modules (this folder has no dependencies of its own).

const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';
const INSTANCE_ANNOTATION = 'node-join.fabric.cloudspectra.io/instance';
const LABELS_TAG = 'fabric.cloudspectra.io/node-labels';
const TAINTS_TAG = 'fabric.cloudspectra.io/node-taints';
const GONE_STATES = new Set(['shutting-down', 'terminated']);

/** @param {string} name */
function sdk(name) {
  try {
    return require(name);
  } catch (err) {
    throw new Error(`node join needs ${name} (a dependency of the fabric engine; run yarn install at the repository root): ${/** @type {Error} */ (err).message}`);
  }
}

/** `k=v,k2=v2` → { k: v, k2: v2 } @param {string} flag */
function parseLabelsFlag(flag) {
  /** @type {Record<string, string>} */
  const labels = {};
  for (const pair of flag.split(',').filter(Boolean)) {
    const i = pair.indexOf('=');
    if (i > 0) labels[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return labels;
}

/** `k=v:NoSchedule,k2:NoExecute` → taints @param {string} flag */
function parseTaintsFlag(flag) {
  return flag.split(',').filter(Boolean).map((t) => {
    const [keyValue, effect] = t.split(':');
    const i = keyValue.indexOf('=');
    return i > 0
      ? { key: keyValue.slice(0, i), value: keyValue.slice(i + 1), effect }
      : { key: keyValue, effect };
  });
}

/** The kubelet flags nodeadm would pass, read from user data (base64, as EC2 returns it). @param {string | undefined} userDataBase64 */
function kubeletFlagsFromUserData(userDataBase64) {
  const text = userDataBase64 ? Buffer.from(userDataBase64, 'base64').toString('utf8') : '';
  const flag = (/** @type {string} */ name) => new RegExp(`--${name}=["']?([^\\s"']+)`).exec(text)?.[1];
  const labels = flag('node-labels');
  const taints = flag('register-with-taints');
  return { labels: labels ? parseLabelsFlag(labels) : {}, taints: taints ? parseTaintsFlag(taints) : [] };
}

/** @param {import('./nodeJoin').StartNodeJoinOptions} options @returns {Promise<import('./nodeJoin').NodeJoin>} */
async function startNodeJoin({
  plane,
  endpoint,
  accounts,
  hubCredentials = { accessKeyId: 'node-join', secretAccessKey: 'node-join' },
  intervalMs = 1000,
  registrationDelayMs = 0,
  neverJoin = () => false,
  deleteOrphanedPods = true,
  log = () => {},
}) {
  const { EC2Client, DescribeInstancesCommand, DescribeInstanceTypesCommand, DescribeAvailabilityZonesCommand,
    DescribeInstanceAttributeCommand } = sdk('@aws-sdk/client-ec2');
  const { STSClient, AssumeRoleCommand } = sdk('@aws-sdk/client-sts');

  // Exempts the join's own calls from the fault proxy's rules.
  /** @param {any} client */
  const exempt = (client) => {
    client.middlewareStack.add((/** @type {any} */ next) => async (/** @type {any} */ args) => {
      args.request.headers['x-fault-proxy-exempt'] = '1';
      return next(args);
    }, { step: 'build', name: 'faultProxyExempt' });
    return client;
  };

  /** @type {Map<string, any>} `${account}/${region}` → EC2Client */
  const clients = new Map();
  for (const account of accounts) {
    let credentials = account.credentials;
    if (!credentials) {
      if (!account.roleArn) throw new Error(`node join: account ${account.accountId} needs roleArn or credentials`);
      const sts = exempt(new STSClient({ region: account.regions[0], endpoint, credentials: hubCredentials, maxAttempts: 1 }));
      const out = await sts.send(new AssumeRoleCommand({
        RoleArn: account.roleArn, RoleSessionName: 'node-join', ...(account.externalId ? { ExternalId: account.externalId } : {}),
      }));
      sts.destroy();
      credentials = { accessKeyId: out.Credentials.AccessKeyId, secretAccessKey: out.Credentials.SecretAccessKey, sessionToken: out.Credentials.SessionToken };
    }
    for (const region of account.regions) {
      clients.set(`${account.accountId}/${region}`, exempt(new EC2Client({ region, endpoint, credentials, maxAttempts: 1 })));
    }
  }

  /** @type {Map<string, Record<string, string>>} `${account}/${region}` → AZ name → AZ-ID */
  const zoneIds = new Map();
  /** @type {Map<string, any>} `${account}/${region}/${type}` → DescribeInstanceTypes entry */
  const instanceTypes = new Map();
  /** @type {Map<string, string>} instance id → Node name */
  const joined = new Map();
  /** @type {Map<string, number>} instance id → when it was first seen running */
  const firstSeen = new Map();
  /** @type {Set<string>} */
  const blocked = new Set();
  let stopped = false;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  /** @type {Promise<unknown>} */
  let running = Promise.resolve();

  /** @param {any} client @param {string} key */
  async function zoneIdsOf(client, key) {
    if (!zoneIds.has(key)) {
      const out = await client.send(new DescribeAvailabilityZonesCommand({}));
      zoneIds.set(key, Object.fromEntries((out.AvailabilityZones || []).map((/** @type {any} */ z) => [z.ZoneName, z.ZoneId])));
    }
    return /** @type {Record<string, string>} */ (zoneIds.get(key));
  }

  /** @param {any} client @param {string} key @param {string} type */
  async function instanceTypeOf(client, key, type) {
    const k = `${key}/${type}`;
    if (!instanceTypes.has(k)) {
      const out = await client.send(new DescribeInstanceTypesCommand({ InstanceTypes: [type] }));
      instanceTypes.set(k, out.InstanceTypes?.[0] || {});
    }
    return instanceTypes.get(k);
  }

  /** @param {any} info */
  function capacityOf(info) {
    /** @type {Record<string, string>} */
    const capacity = {
      cpu: String(info.VCpuInfo?.DefaultVCpus ?? 2),
      memory: `${(info.MemoryInfo?.SizeInMiB ?? 4096) * 1024}Ki`,
      pods: '110',
    };
    const gpus = (info.GpuInfo?.Gpus || []).reduce((/** @type {number} */ n, /** @type {any} */ g) => n + (g.Count || 0), 0);
    if (gpus > 0) capacity['nvidia.com/gpu'] = String(gpus);
    if (info.NetworkInfo?.EfaSupported) {
      capacity['vpc.amazonaws.com/efa'] = String(info.NetworkInfo?.EfaInfo?.MaximumEfaInterfaces ?? 1);
    }
    return capacity;
  }

  /** @param {string} method @param {string} path @param {unknown} [body] @param {Record<string, string>} [headers] */
  async function kube(method, path, body, headers) {
    const r = await plane.request(method, path, body, headers);
    if (r.status >= 300 && !(method === 'DELETE' && r.status === 404)) {
      throw Object.assign(new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`), { status: r.status });
    }
    return r.body;
  }

  /** @param {any} client @param {string} accountId @param {string} region @param {any} instance */
  async function join(client, accountId, region, instance) {
    const key = `${accountId}/${region}`;
    const zoneName = instance.Placement?.AvailabilityZone;
    const zoneId = instance.Placement?.AvailabilityZoneId || (await zoneIdsOf(client, key))[zoneName];
    const info = await instanceTypeOf(client, key, instance.InstanceType);
    const userData = await client.send(new DescribeInstanceAttributeCommand({ InstanceId: instance.InstanceId, Attribute: 'userData' }))
      .then((/** @type {any} */ out) => out.UserData?.Value, () => undefined);
    const fromUserData = kubeletFlagsFromUserData(userData);
    const tags = Object.fromEntries((instance.Tags || []).map((/** @type {any} */ t) => [t.Key, t.Value]));
    const tagLabels = tags[LABELS_TAG] ? JSON.parse(tags[LABELS_TAG]) : {};
    const tagTaints = tags[TAINTS_TAG] ? JSON.parse(tags[TAINTS_TAG]) : [];

    const providerID = `aws:///${zoneName}/${instance.InstanceId}`;
    let name = instance.PrivateDnsName || `${instance.InstanceId}.${region}.compute.internal`;
    const existing = await plane.request('GET', `/api/v1/nodes/${name}`);
    if (existing.status === 200 && existing.body?.spec?.providerID !== providerID) {
      name = `${instance.InstanceId}.${region}.compute.internal`;
    }
    const arch = (info.ProcessorInfo?.SupportedArchitectures || ['x86_64'])[0] === 'arm64' ? 'arm64' : 'amd64';
    const capacity = capacityOf(info);
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          ...fromUserData.labels,
          ...tagLabels,
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': arch,
          'node.kubernetes.io/instance-type': instance.InstanceType,
          'topology.kubernetes.io/region': region,
          'topology.kubernetes.io/zone': zoneName,
          ...(zoneId ? { 'topology.k8s.aws/zone-id': zoneId } : {}),
        },
        annotations: {
          [KWOK_ANNOTATION]: 'fake',
          [INSTANCE_ANNOTATION]: `${accountId}/${region}/${instance.InstanceId}`,
        },
      },
      spec: { providerID, taints: [...fromUserData.taints, ...tagTaints] },
      // One create with the status, as the kubelet registers: KWOK only takes Nodes that
      // carry its annotation when created, and keeps the capacity it finds.
      status: { capacity, allocatable: capacity },
    };
    await kube('POST', '/api/v1/nodes', node).catch((err) => { if (err.status !== 409) throw err; });
    joined.set(instance.InstanceId, name);
    log(`node join: ${instance.InstanceId} (${accountId} ${region} ${zoneName}/${zoneId} ${instance.InstanceType}) → Node ${name}`);
  }

  async function syncOnce() {
    let created = 0;
    let deleted = 0;
    /** @type {Set<string>} */
    const alive = new Set();
    for (const [key, client] of clients) {
      const [accountId, region] = key.split('/');
      /** @type {any[]} */
      const instances = [];
      let NextToken;
      do {
        /** @type {any} */
        const out = await client.send(new DescribeInstancesCommand({ NextToken }));
        for (const r of out.Reservations || []) instances.push(...(r.Instances || []));
        NextToken = out.NextToken;
      } while (NextToken);
      for (const instance of instances) {
        const id = instance.InstanceId;
        const state = instance.State?.Name;
        if (!GONE_STATES.has(state)) alive.add(id);
        if (state !== 'running' || joined.has(id)) continue;
        const tags = Object.fromEntries((instance.Tags || []).map((/** @type {any} */ t) => [t.Key, t.Value]));
        if (blocked.has(id) || neverJoin({ instanceId: id, accountId, region, instanceType: instance.InstanceType, tags })) continue;
        if (!firstSeen.has(id)) firstSeen.set(id, Date.now());
        if (Date.now() - /** @type {number} */ (firstSeen.get(id)) < registrationDelayMs) continue;
        await join(client, accountId, region, instance);
        created += 1;
      }
    }
    for (const [id, name] of [...joined]) {
      if (alive.has(id)) continue;
      await kube('DELETE', `/api/v1/nodes/${name}`);
      if (deleteOrphanedPods) await deletePodsBoundTo(name);
      joined.delete(id);
      firstSeen.delete(id);
      deleted += 1;
      log(`node join: ${id} is gone → Node ${name} deleted`);
    }
    return { created, deleted };
  }

  // One pass at a time: the timer's and syncOnce()'s passes queue behind each other.
  function enqueue() {
    const pass = running.then(syncOnce, syncOnce);
    running = pass.catch(() => {});
    return pass;
  }
  // What kube-controller-manager's pod garbage collector does for a Node that is gone
  // (the test plane runs no controller manager): its Pods are force-deleted.
  /** @param {string} nodeName */
  async function deletePodsBoundTo(nodeName) {
    const list = await kube('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${nodeName}`)}`);
    for (const pod of list.items || []) {
      await kube('DELETE', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}?gracePeriodSeconds=0`);
    }
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      enqueue().catch((err) => log(`node join: ${/** @type {Error} */ (err).message}`)).finally(schedule);
    }, intervalMs);
    timer.unref?.();
  }
  schedule();

  return {
    syncOnce: enqueue,
    nodeNameOf: (instanceId) => joined.get(instanceId),
    joinedNodes: () => new Map(joined),
    preventJoin: (instanceId) => { blocked.add(instanceId); },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => {});
      for (const client of clients.values()) client.destroy();
    },
  };
}

module.exports = { startNodeJoin, kubeletFlagsFromUserData, NODE_LABELS_TAG: LABELS_TAG, NODE_TAINTS_TAG: TAINTS_TAG };
