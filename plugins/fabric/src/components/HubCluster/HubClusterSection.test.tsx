import { screen } from '@testing-library/react';
import { ResponseError } from '@backstage/errors';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { NodeClaimsResponse, ProvisionerHealthResponse } from '@internal/backstage-plugin-fabric-common';
import { FabricApi, fabricApiRef } from '../../api/FabricApi';
import { nodesByCell } from '../../hooks/useHubCluster';
import { HubClusterSection } from './HubClusterSection';

jest.setTimeout(60_000);

const now = Date.now();
const minutesAgo = (minutes: number) => new Date(now - minutes * 60_000).toISOString();

const claims: NodeClaimsResponse = {
  configured: true,
  items: [
    {
      name: 'fabric-serving-a1',
      nodePool: 'fabric-serving-222222222222-us-west-2',
      cell: '222222222222.us-west-2',
      accountId: '222222222222',
      region: 'us-west-2',
      azId: 'usw2-az2',
      instanceType: 'g6e.2xlarge',
      capacityType: 'spot',
      instanceId: 'i-0123456789abcdef0',
      nodeName: 'ip-10-1-2-3.us-west-2.compute.internal',
      state: 'Ready',
      createdAt: minutesAgo(125),
      ageSeconds: 125 * 60,
      pricePerHour: 1.1,
    },
    {
      name: 'fabric-trainer-b2',
      cell: '333333333333.eu-west-1',
      accountId: '333333333333',
      region: 'eu-west-1',
      azId: 'euw1-az2',
      instanceType: 'p5.48xlarge',
      capacityType: 'on-demand',
      state: 'Failed',
      reason: 'InsufficientCapacity: no p5.48xlarge in euw1-az2',
      createdAt: minutesAgo(2),
      ageSeconds: 120,
      pricePerHour: 98.32,
    },
    {
      name: 'fabric-serving-a2',
      cell: '222222222222.us-west-2',
      accountId: '222222222222',
      region: 'us-west-2',
      azId: 'usw2-az1',
      instanceType: 'g6e.2xlarge',
      capacityType: 'spot',
      state: 'Launching',
      createdAt: minutesAgo(0),
      ageSeconds: 12,
      pricePerHour: 1.2,
    },
  ],
  pendingPods: [
    {
      namespace: 'research',
      name: 'pretrain-0',
      placement: 'plc-trainer',
      reason: 'InsufficientInstanceCapacity for p5.48xlarge in every AZ-ID; retrying in 3m',
      since: minutesAgo(30),
    },
  ],
};

const health: ProvisionerHealthResponse = {
  configured: true,
  leader: 'fabric-backend-0',
  renewedAt: minutesAgo(0),
  leaseExpired: false,
  lastBatchAt: minutesAgo(3),
  decisionsPerSecond: 812.5,
  pendingPods: 1,
};

function api(overrides: Partial<FabricApi> = {}): jest.Mocked<FabricApi> {
  return {
    nodeClaims: jest.fn().mockResolvedValue(claims),
    provisioner: jest.fn().mockResolvedValue(health),
    ...overrides,
  } as unknown as jest.Mocked<FabricApi>;
}

async function render(fabricApi: FabricApi, entityRef?: string) {
  return renderInTestApp(
    <TestApiProvider apis={[[fabricApiRef, fabricApi]]}>
      <HubClusterSection entityRef={entityRef} />
    </TestApiProvider>,
  );
}

/** Data rows of the table under a visible title. */
function rowsUnder(title: string): string[][] {
  let el: HTMLElement | null = screen.getByText(title);
  while (el && !el.querySelector('table')) el = el.parentElement;
  const table = el!.querySelector('table')!;
  return [...table.querySelectorAll<HTMLElement>(':scope > tbody > tr')]
    .filter(row => row.querySelector('td'))
    .map(row => [...row.querySelectorAll('td')].map(cell => cell.textContent ?? ''));
}

describe('HubClusterSection', () => {
  it('shows the nodes cell by cell with state, instance, AZ-ID, capacity type, age and $/h', async () => {
    await render(api());

    expect(await screen.findByText('Nodes in 222222222222 · us-west-2')).toBeInTheDocument();
    expect(screen.getByText('2 nodes · $2.30/h')).toBeInTheDocument();
    expect(rowsUnder('Nodes in 222222222222 · us-west-2')).toEqual([
      [
        'fabric-serving-a1',
        'Ready',
        'g6e.2xlarge · i-0123456789abcdef0',
        'ip-10-1-2-3.us-west-2.compute.internal',
        'usw2-az2',
        'spot',
        '2 h 5 min',
        '$1.10',
      ],
      ['fabric-serving-a2', 'Launching', 'g6e.2xlarge', '—', 'usw2-az1', 'spot', '12 s', '$1.20'],
    ]);
    expect(rowsUnder('Nodes in 333333333333 · eu-west-1')).toEqual([
      [
        'fabric-trainer-b2',
        'FailedInsufficientCapacity: no p5.48xlarge in euw1-az2',
        'p5.48xlarge',
        '—',
        'euw1-az2',
        'on-demand',
        '2 min',
        '$98.32',
      ],
    ]);
  });

  it("shows the pending pods with the fabric's reason and the provisioner's health", async () => {
    await render(api());

    expect(await screen.findByText('Pending pods')).toBeInTheDocument();
    expect(rowsUnder('Pending pods')).toEqual([
      [
        'research/pretrain-0',
        'plc-trainer',
        'InsufficientInstanceCapacity for p5.48xlarge in every AZ-ID; retrying in 3m',
        '30 min ago',
      ],
    ]);
    expect(screen.getByText('leading')).toBeInTheDocument();
    expect(screen.getByText('fabric-backend-0')).toBeInTheDocument();
    expect(screen.getByText('3 min ago')).toBeInTheDocument();
    expect(screen.getByText('812.5')).toBeInTheDocument();
  });

  it('says so when the leader stopped renewing its lease', async () => {
    await render(api({ provisioner: jest.fn().mockResolvedValue({ ...health, leaseExpired: true }) }));
    expect(await screen.findByText('leader lease expired: nothing is provisioning')).toBeInTheDocument();
  });

  it('asks only for the entity\'s nodes on an entity page', async () => {
    const fabricApi = api({ nodeClaims: jest.fn().mockResolvedValue({ configured: true, items: [], pendingPods: [] }) });
    await render(fabricApi, 'component:default/llm-pretraining');
    expect(await screen.findByText('The fabric has launched no node for this entity.')).toBeInTheDocument();
    expect(fabricApi.nodeClaims).toHaveBeenCalledWith({ entityRef: 'component:default/llm-pretraining' });
    expect(screen.getByText('No fabric pod is waiting for a node.')).toBeInTheDocument();
  });

  it('explains how to get a hub cluster when none is configured', async () => {
    await render(
      api({
        nodeClaims: jest.fn().mockResolvedValue({ configured: false, items: [], pendingPods: [] }),
        provisioner: jest.fn().mockResolvedValue({ configured: false }),
      }),
    );
    expect(await screen.findByText('No hub cluster is configured')).toBeInTheDocument();
    expect(screen.getByText('npm run sandbox')).toBeInTheDocument();
    expect(screen.getByText('fabric.hub.kubernetes')).toBeInTheDocument();
  });

  it("shows the backend's reason when the hub cluster cannot be read", async () => {
    const unavailable = await ResponseError.fromResponse(
      new Response(
        JSON.stringify({
          error: { name: 'ServiceUnavailableError', message: 'The hub cluster is unreachable: ECONNREFUSED' },
          response: { statusCode: 503 },
        }),
        { status: 503, statusText: 'Service Unavailable', headers: { 'Content-Type': 'application/json' } },
      ) as any,
    );
    await render(api({ nodeClaims: jest.fn().mockRejectedValue(unavailable) }));
    expect(await screen.findByText('Error: The hub cluster could not be read')).toBeInTheDocument();
    expect(screen.getByText('503: ServiceUnavailableError')).toBeInTheDocument();
    expect(screen.getByText('The hub cluster is unreachable: ECONNREFUSED')).toBeInTheDocument();
  });
});

describe('nodesByCell', () => {
  it('groups claims by cell in cell order and sums their $/h', () => {
    const cells = nodesByCell(claims.items);
    expect(cells.map(c => [c.cell, c.rows.map(r => r.name), c.pricePerHour])).toEqual([
      ['222222222222.us-west-2', ['fabric-serving-a1', 'fabric-serving-a2'], 2.3],
      ['333333333333.eu-west-1', ['fabric-trainer-b2'], 98.32],
    ]);
  });
});
