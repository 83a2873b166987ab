import { startControlPlane, ControlPlane } from '@internal/fabric-test-tooling';
import { KubernetesClient, RESOURCES } from '../../kubernetes/KubernetesClient';
import { LeaderElector, startLeaderElection } from './leaderElection';

jest.setTimeout(15 * 60_000);

const until = async (what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('leader election over a coordination.k8s.io/v1 Lease on a real kube-apiserver', () => {
  let plane: ControlPlane;
  let client: KubernetesClient;
  const electors: LeaderElector[] = [];

  beforeAll(async () => {
    plane = await startControlPlane({ waitForScheduler: false });
    client = new KubernetesClient({ server: plane.server, token: plane.token, insecureSkipTlsVerify: true });
  });

  afterAll(async () => {
    await Promise.all(electors.map(e => e.stop({ release: false })));
    await plane?.stop();
  });

  const elect = (name: string, identity: string, leaseDurationSeconds: number, log: string[]) => {
    const elector = startLeaderElection(client, {
      namespace: 'kube-system',
      name,
      identity,
      leaseDurationSeconds,
      onStartedLeading: () => log.push(`${identity} leads`),
      onStoppedLeading: () => log.push(`${identity} stops`),
    });
    electors.push(elector);
    return elector;
  };

  it('elects exactly one of two replicas and hands over at once when the leader stops', async () => {
    const log: string[] = [];
    const a = elect('fabric-provisioner-handover', 'replica-a', 6, log);
    const b = elect('fabric-provisioner-handover', 'replica-b', 6, log);
    await until('a leader', () => a.isLeader() || b.isLeader(), 10_000);
    // Several renewal periods later there is still exactly one leader, and the Lease names it.
    for (let i = 0; i < 10; i++) {
      expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
      await new Promise(resolve => setTimeout(resolve, 300));
    }
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    const lease = await client.get<any>(RESOURCES.leases, 'fabric-provisioner-handover', 'kube-system');
    expect(lease.spec.holderIdentity).toBe(leader.observedLeader());
    expect(follower.observedLeader()).toBe(leader.observedLeader());

    await leader.stop();
    expect(leader.isLeader()).toBe(false);
    // Released, not waited out: well within one lease duration.
    await until('the follower to lead', () => follower.isLeader(), 6_000);
    const after = await client.get<any>(RESOURCES.leases, 'fabric-provisioner-handover', 'kube-system');
    expect(after.spec.holderIdentity).toBe(follower.observedLeader());
    expect(after.spec.leaseTransitions).toBe(1);
    expect(log.filter(l => l.endsWith('leads'))).toHaveLength(2);
  });

  it('takes over a crashed leader\'s Lease only after it went unrenewed for the lease duration', async () => {
    const log: string[] = [];
    const a = elect('fabric-provisioner-crash', 'replica-a', 4, log);
    await until('replica-a to lead', () => a.isLeader(), 10_000);
    const b = elect('fabric-provisioner-crash', 'replica-b', 4, log);
    // While a renews, b never leads.
    for (let i = 0; i < 8; i++) {
      expect(b.isLeader()).toBe(false);
      await new Promise(resolve => setTimeout(resolve, 500));
    }
    const crashedAt = Date.now();
    await a.stop({ release: false });
    await until('replica-b to take over', () => b.isLeader(), 4_000 + 4_000);
    // Not before the crashed holder's lease could have expired (its last renewal was at most
    // one renewal period, a third of the lease, before the crash).
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(4_000 - 4_000 / 3);
    const lease = await client.get<any>(RESOURCES.leases, 'fabric-provisioner-crash', 'kube-system');
    expect(lease.spec.holderIdentity).toBe('replica-b');
  });
});
