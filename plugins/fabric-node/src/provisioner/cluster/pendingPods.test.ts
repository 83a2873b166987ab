import { createBatcher, groupBatch } from './batcher';
import { parseQuantity, podRequests, toPendingPod } from './pendingPods';

describe('pod requests as the scheduler counts them', () => {
  it('parses Kubernetes quantities', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('16Gi')).toBe(16 * 2 ** 30);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('2k')).toBe(2000);
    expect(parseQuantity(8)).toBe(8);
    expect(() => parseQuantity('lots')).toThrow(/not a Kubernetes quantity/);
  });

  it('sums containers, takes at least the largest init container, adds overhead and one pod slot', () => {
    const pod = {
      metadata: { name: 'p', namespace: 'default', uid: 'u' },
      spec: {
        initContainers: [{ resources: { requests: { cpu: '4', memory: '1Gi' } } }],
        containers: [
          { resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { 'nvidia.com/gpu': '2' } } },
          { resources: { requests: { cpu: '500m', 'vpc.amazonaws.com/efa': '1' } } },
        ],
        overhead: { cpu: '100m' },
      },
    };
    expect(podRequests(pod)).toEqual({ cpuMillis: 4100, memoryMiB: 2048, gpus: 2, neuron: 0, efa: 1, pods: 1 });
  });

  it('names a gang by its placement and takes its size from the annotation', () => {
    const member = toPendingPod({
      metadata: { name: 'm', namespace: 'ml', uid: 'u1', labels: { 'fabric.cloudspectra.io/placement': 'train' }, annotations: { 'fabric.cloudspectra.io/gang-size': '4' } },
      spec: { containers: [], schedulingGates: [{ name: 'fabric.cloudspectra.io/gang' }] },
    });
    expect(member.gang).toEqual({ name: 'train', size: 4 });
  });
});

describe('batching', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('closes a window after the idle time, or at the maximum while pods keep arriving', async () => {
    const closed: number[] = [];
    const batcher = createBatcher(() => void closed.push(Date.now()), { idleMs: 1000, maxMs: 10_000 });
    const start = Date.now();
    batcher.trigger();
    await jest.advanceTimersByTimeAsync(999);
    expect(closed).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(closed).toEqual([start + 1000]);

    // A steady trickle never lets the window go idle: it closes at the maximum.
    for (let i = 0; i < 25; i++) {
      batcher.trigger();
      await jest.advanceTimersByTimeAsync(500);
    }
    expect(closed[1] - (start + 1000)).toBe(10_000);
    batcher.stop();
  });

  it('holds back a gang until all its members are pending', () => {
    const pod = (name: string, gang?: { name: string; size: number }) => ({
      uid: name, namespace: 'ml', name, requests: { cpuMillis: 0, memoryMiB: 0, gpus: 8, neuron: 0, efa: 32, pods: 1 },
      requirementTerms: [], tolerations: [], labels: {}, createdAt: '', ...(gang ? { gang } : {}),
    });
    const batch = groupBatch([pod('solo'), pod('a-0', { name: 'a', size: 2 }), pod('a-1', { name: 'a', size: 2 }), pod('b-0', { name: 'b', size: 4 })]);
    expect(batch.pods.map(p => p.name)).toEqual(['solo', 'a-0', 'a-1']);
    expect(batch.gangs.map(g => [g.name, g.size, g.members.length])).toEqual([['a', 2, 2]]);
    expect(batch.incompleteGangs).toEqual([{ name: 'b', size: 4, pending: 1 }]);
  });
});
