import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  EC2Client,
  TerminateInstancesCommand,
  _InstanceType,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  ControlPlane,
  FaultProxy,
  MotoServer,
  NodeJoin,
  rotatedAzNames,
  startControlPlane,
  startFaultProxy,
  startMotoServer,
  startNodeJoin,
} from '@internal/fabric-test-tooling';

// The build is done by `npm test`'s kube step; a cold build here would take minutes.
jest.setTimeout(15 * 60_000);

const research = '222222222222';
const inference = '333333333333';
const region = 'us-east-1';

async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 200));
  }
}

const isReady = (node: any) =>
  (node?.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

describe('KWOK and node join on the Kubernetes test plane', () => {
  let plane: ControlPlane;
  let moto: MotoServer;
  let proxy: FaultProxy;
  let join: NodeJoin | undefined;

  const getNode = async (name: string) => {
    const r = await plane.request('GET', `/api/v1/nodes/${name}`);
    return r.status === 200 ? r.body : undefined;
  };
  const getPod = async (name: string) => (await plane.request('GET', `/api/v1/namespaces/default/pods/${name}`)).body;

  beforeAll(async () => {
    [plane, moto] = await Promise.all([startControlPlane({ kwok: true }), startMotoServer()]);
    proxy = await startFaultProxy({ target: moto.endpoint, azNames: rotatedAzNames() });
  });

  afterAll(async () => {
    await join?.stop();
    await proxy?.stop();
    await Promise.all([plane?.stop(), moto?.stop()]);
  });

  it('KWOK makes an annotated Node Ready and runs the Pod bound to it; a Node without the annotation is left alone', async () => {
    const capacity = { cpu: '8', memory: '32Gi', pods: '110' };
    for (const [name, annotations] of [
      ['kwok-managed', { 'kwok.x-k8s.io/node': 'fake' }],
      ['not-managed', {}],
    ] as const) {
      // Registered as a kubelet registers: the status comes with the create.
      const node = { metadata: { name, annotations }, status: { capacity, allocatable: capacity } };
      expect((await plane.request('POST', '/api/v1/nodes', node)).status).toBe(201);
    }
    const ready = await eventually('the annotated Node to be Ready', async () => {
      const node = await getNode('kwok-managed');
      return isReady(node) && node;
    });
    expect(ready.status.allocatable).toMatchObject({ cpu: '8', pods: '110' });

    const pod = {
      metadata: { name: 'on-kwok' },
      spec: { nodeName: 'kwok-managed', containers: [{ name: 'main', image: 'busybox' }] },
    };
    expect((await plane.request('POST', '/api/v1/namespaces/default/pods', pod)).status).toBe(201);
    const running = await eventually('the Pod to run', async () => {
      const p = await getPod('on-kwok');
      return p.status?.phase === 'Running' && p;
    });
    expect(running.status.podIP).toBeTruthy();

    expect(isReady(await getNode('not-managed'))).toBe(false);
  });

  describe('node join', () => {
    const clients = new Map<string, EC2Client>();
    const subnets = new Map<string, string>();
    const templates = new Map<string, string>();
    let sharedZoneId: string;
    const zoneNames = new Map<string, string>();

    beforeAll(async () => {
      const sts = new STSClient({
        region,
        endpoint: proxy.endpoint,
        credentials: { accessKeyId: 'hub', secretAccessKey: 'hub' },
      });
      for (const account of [research, inference]) {
        const out = await sts.send(
          new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/fabric-member`, RoleSessionName: 'fabric' }),
        );
        const c = out.Credentials!;
        clients.set(
          account,
          new EC2Client({
            region,
            endpoint: proxy.endpoint,
            credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken },
          }),
        );
      }
      sts.destroy();
      // One AZ-ID that the two accounts name differently.
      const maps = new Map<string, Record<string, string>>();
      for (const [account, ec2] of clients) {
        const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
        maps.set(account, Object.fromEntries(zones.AvailabilityZones!.map(z => [z.ZoneId!, z.ZoneName!])));
      }
      sharedZoneId = Object.keys(maps.get(research)!).find(id => maps.get(research)![id] !== maps.get(inference)![id])!;
      for (const [account, ec2] of clients) {
        zoneNames.set(account, maps.get(account)![sharedZoneId]);
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
        const subnet = await ec2.send(
          new CreateSubnetCommand({
            VpcId: vpc.Vpc!.VpcId!,
            CidrBlock: '10.1.1.0/24',
            AvailabilityZone: zoneNames.get(account),
          }),
        );
        subnets.set(account, subnet.Subnet!.SubnetId!);
        // As the provisioner renders it: nodeadm's NodeConfig passes labels and taints to the kubelet.
        const userData = [
          'apiVersion: node.eks.aws/v1alpha1',
          'kind: NodeConfig',
          'spec:',
          '  kubelet:',
          '    flags:',
          `      - --node-labels=fabric.cloudspectra.io/cell=${account}.${region},karpenter.sh/capacity-type=spot`,
          '      - --register-with-taints=nvidia.com/gpu=true:NoSchedule',
        ].join('\n');
        const template = await ec2.send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: 'fabric-gpu',
            LaunchTemplateData: { ImageId: 'ami-12c6146b', UserData: Buffer.from(userData).toString('base64') },
          }),
        );
        templates.set(account, template.LaunchTemplate!.LaunchTemplateId!);
      }
      join = await startNodeJoin({
        plane,
        endpoint: proxy.endpoint,
        accounts: [research, inference].map(accountId => ({
          accountId,
          roleArn: `arn:aws:iam::${accountId}:role/fabric-member`,
          regions: [region],
        })),
        intervalMs: 60_000, // the test drives the passes with syncOnce()
        neverJoin: instance => instance.tags['test/never-join'] === 'true',
      });
    });

    afterAll(() => {
      for (const c of clients.values()) c.destroy();
    });

    async function launch(account: string, instanceType: _InstanceType, tags: Record<string, string> = {}) {
      const out = await clients.get(account)!.send(
        new CreateFleetCommand({
          Type: 'instant',
          TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'spot' },
          LaunchTemplateConfigs: [
            {
              LaunchTemplateSpecification: { LaunchTemplateId: templates.get(account)!, Version: '$Latest' },
              Overrides: [{ InstanceType: instanceType, SubnetId: subnets.get(account)! }],
            },
          ],
          // (moto answers 500 to an empty tag list)
          TagSpecifications: [
            { ResourceType: 'instance', Tags: Object.entries({ ...tags, owner: 'fabric' }).map(([Key, Value]) => ({ Key, Value })) },
          ],
        }),
      );
      return out.Instances![0].InstanceIds![0];
    }

    it('registers each running instance as a Node named and labelled as its account sees it, which KWOK makes Ready', async () => {
      const inResearch = await launch(research, 'g6e.xlarge');
      const inInference = await launch(inference, 'p5.48xlarge');
      await join!.syncOnce();

      const researchNode = await getNode(join!.nodeNameOf(inResearch)!);
      const inferenceNode = await getNode(join!.nodeNameOf(inInference)!);
      expect(researchNode.spec.providerID).toBe(`aws:///${zoneNames.get(research)}/${inResearch}`);
      expect(researchNode.metadata.labels).toMatchObject({
        'topology.kubernetes.io/zone': zoneNames.get(research),
        'topology.k8s.aws/zone-id': sharedZoneId,
        'topology.kubernetes.io/region': region,
        'node.kubernetes.io/instance-type': 'g6e.xlarge',
        'kubernetes.io/arch': 'amd64',
        'fabric.cloudspectra.io/cell': `${research}.${region}`,
        'karpenter.sh/capacity-type': 'spot',
      });
      expect(researchNode.spec.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }]);
      expect(researchNode.status.allocatable).toMatchObject({ cpu: '4', 'nvidia.com/gpu': '1', pods: '110' });
      expect(researchNode.status.allocatable['vpc.amazonaws.com/efa']).toBeUndefined();

      // Same AZ-ID, the other account's name for it.
      expect(inferenceNode.metadata.labels['topology.kubernetes.io/zone']).toBe(zoneNames.get(inference));
      expect(inferenceNode.metadata.labels['topology.kubernetes.io/zone']).not.toBe(zoneNames.get(research));
      expect(inferenceNode.metadata.labels['topology.k8s.aws/zone-id']).toBe(sharedZoneId);
      expect(inferenceNode.status.allocatable).toMatchObject({
        cpu: '192',
        'nvidia.com/gpu': '8',
        'vpc.amazonaws.com/efa': '32',
      });

      await eventually('both joined Nodes to be Ready', async () =>
        isReady(await getNode(researchNode.metadata.name)) && isReady(await getNode(inferenceNode.metadata.name)),
      );
    });

    it('lets the scheduler place a GPU Pod by AZ-ID on a joined Node, where it runs', async () => {
      const pod = {
        metadata: { name: 'gpu-by-zone-id' },
        spec: {
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [{ key: 'topology.k8s.aws/zone-id', operator: 'In', values: [sharedZoneId] }],
                  },
                ],
              },
            },
          },
          containers: [
            { name: 'main', image: 'cuda', resources: { limits: { 'nvidia.com/gpu': '8', 'vpc.amazonaws.com/efa': '1' } } },
          ],
        },
      };
      expect((await plane.request('POST', '/api/v1/namespaces/default/pods', pod)).status).toBe(201);
      const running = await eventually('the GPU Pod to run', async () => {
        const p = await getPod('gpu-by-zone-id');
        return p.status?.phase === 'Running' && p;
      });
      const node = await getNode(running.spec.nodeName);
      expect(node.metadata.labels['node.kubernetes.io/instance-type']).toBe('p5.48xlarge');
    });

    it('holds back instances it is told to (never, or not yet), and deletes the Node of a terminated instance with its Pods', async () => {
      const held = await launch(research, 'g6e.xlarge', { 'test/never-join': 'true' });
      const doomed = await launch(research, 'g6e.xlarge');
      await join!.syncOnce();
      expect(join!.nodeNameOf(held)).toBeUndefined();
      const name = join!.nodeNameOf(doomed)!;
      expect(await getNode(name)).toBeDefined();

      // A join that waits before registering leaves a fresh instance out of its first pass.
      const patient = await startNodeJoin({
        plane,
        endpoint: proxy.endpoint,
        accounts: [{ accountId: research, roleArn: `arn:aws:iam::${research}:role/fabric-member`, regions: [region] }],
        intervalMs: 60_000,
        registrationDelayMs: 10 * 60_000,
      });
      const late = await launch(research, 'g6e.xlarge');
      await patient.syncOnce();
      expect(patient.nodeNameOf(late)).toBeUndefined();
      await patient.stop();

      const pod = {
        metadata: { name: 'on-doomed-node' },
        spec: {
          nodeName: name,
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }],
          containers: [{ name: 'main', image: 'busybox' }],
        },
      };
      expect((await plane.request('POST', '/api/v1/namespaces/default/pods', pod)).status).toBe(201);

      await clients.get(research)!.send(new TerminateInstancesCommand({ InstanceIds: [doomed] }));
      const { deleted } = await join!.syncOnce();
      expect(deleted).toBe(1);
      expect(await getNode(name)).toBeUndefined();
      // Its Pod goes with it, as the pod garbage collector would remove it.
      expect((await plane.request('GET', '/api/v1/namespaces/default/pods/on-doomed-node')).status).toBe(404);
    });
  });
});
