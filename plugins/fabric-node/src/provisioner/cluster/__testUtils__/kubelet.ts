import { KubeObject, KubernetesClient, RESOURCES } from '../../../kubernetes/KubernetesClient';

/** Polls until `condition` holds (the cluster converges asynchronously). */
export async function until<T>(what: string, condition: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await condition();
      if (value) return value as T;
    } catch (error) {
      last = error;
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

/**
 * Registers a Node the way nodeadm + kubelet would on an instance: name, providerID, the
 * zone labels as the member account names its AZ, the startup taints from the claim,
 * capacity, and (when `ready`) a Ready condition. There is no kubelet in the test plane.
 */
export async function joinNode(
  client: KubernetesClient,
  options: {
    name: string;
    instanceId: string;
    azName: string;
    azId: string;
    gpus?: number;
    taints?: Array<{ key: string; value?: string; effect: string }>;
    ready?: boolean;
    labels?: Record<string, string>;
  },
): Promise<KubeObject> {
  await client.create(RESOURCES.nodes, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: options.name,
      labels: {
        'kubernetes.io/hostname': options.name,
        'topology.kubernetes.io/zone': options.azName,
        // nodeadm labels the AZ-ID too; the provisioner re-asserts it from the claim.
        ...(options.labels ?? {}),
      },
    },
    spec: { providerID: `aws:///${options.azName}/${options.instanceId}`, taints: options.taints ?? [] },
  });
  return setNodeReady(client, options.name, options.ready ?? true, options.gpus ?? 1);
}

export async function setNodeReady(client: KubernetesClient, name: string, ready: boolean, gpus = 1): Promise<KubeObject> {
  const capacity = { cpu: '8', memory: '32Gi', pods: '110', 'nvidia.com/gpu': String(gpus) };
  return client.patch(
    RESOURCES.nodes,
    name,
    {
      status: {
        capacity,
        allocatable: capacity,
        conditions: [
          {
            type: 'Ready',
            status: ready ? 'True' : 'False',
            reason: ready ? 'KubeletReady' : 'KubeletNotReady',
            message: '',
            lastHeartbeatTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
            lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          },
        ],
      },
    },
    { subresource: 'status', type: 'strategic' },
  );
}

export const gpuPod = (
  name: string,
  options: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    nodeSelector?: Record<string, string>;
    nodeSelectorTerms?: unknown[];
    gated?: boolean;
    tolerateGpu?: boolean;
    requests?: Record<string, string>;
  } = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: options.labels ?? {}, annotations: options.annotations ?? {} },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'registry.example/trainer:1',
        resources: {
          requests: options.requests ?? { cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': '1' },
          // Extended resources need limit == request.
          limits: { 'nvidia.com/gpu': (options.requests ?? { 'nvidia.com/gpu': '1' })['nvidia.com/gpu'] ?? '0' },
        },
      },
    ],
    ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
    ...(options.nodeSelectorTerms
      ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: options.nodeSelectorTerms } } } }
      : {}),
    ...(options.tolerateGpu === false ? {} : { tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] }),
    ...(options.gated ? { schedulingGates: [{ name: 'fabric.cloudspectra.io/gang' }] } : {}),
  },
});
