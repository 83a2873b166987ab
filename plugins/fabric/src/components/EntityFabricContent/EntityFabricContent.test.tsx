import { fireEvent, screen, within } from '@testing-library/react';
import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { FabricApi, fabricApiRef } from '../../api/FabricApi';
import { h100EfaCapacity, placedTrainingRun } from '../../__testUtils__/fixtures';
import { EntityFabricContent } from './EntityFabricContent';
import { rootRouteRef } from '../../routes';

function component(annotations: Record<string, string> = {}): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'llm-pretraining', namespace: 'default', annotations },
    spec: { type: 'service', lifecycle: 'production', owner: 'ml-research' },
  };
}

const llmPretraining = component({
  'cloudspectra.io/fabric-workload': 'tightly-coupled',
  'cloudspectra.io/fabric-gpu': 'H100',
});

function mockApi(overrides: Partial<FabricApi> = {}): jest.Mocked<FabricApi> {
  return {
    health: jest.fn().mockRejectedValue(new Error('health not expected')),
    capacity: jest.fn().mockResolvedValue(h100EfaCapacity),
    estate: jest.fn().mockRejectedValue(new Error('estate not expected')),
    placements: jest.fn().mockResolvedValue([]),
    nodeClaims: jest.fn().mockResolvedValue({ configured: false, items: [], pendingPods: [] }),
    provisioner: jest.fn().mockResolvedValue({ configured: false }),
    ...overrides,
  } as jest.Mocked<FabricApi>;
}

async function render(entity: Entity, api: FabricApi) {
  return renderInTestApp(
    <TestApiProvider apis={[[fabricApiRef, api]]}>
      <EntityProvider entity={entity}>
        <EntityFabricContent />
      </EntityProvider>
    </TestApiProvider>,
    { mountedRoutes: { '/fabric': rootRouteRef } },
  );
}

/**
 * Rows of the capacity table with data in them (not the header, not paging filler); the
 * placements table above it is tested separately. Plain DOM queries: role queries over
 * a material table are slow on a busy machine.
 */
function dataRows(): HTMLElement[] {
  const card = screen.getByText(/^Capacity for a /).closest('.MuiCard-root') as HTMLElement;
  return [...card.querySelectorAll<HTMLElement>('tbody > tr')].filter(row => row.querySelector('td'));
}

describe('EntityFabricContent', () => {
  it('explains the missing annotation when the entity has not opted in', async () => {
    const api = mockApi();
    await render(component(), api);

    expect(screen.getByText('Missing Annotation')).toBeVisible();
    // The description names the annotation to add …
    expect(
      screen.getByText(
        (_, el) =>
          el?.tagName === 'P' &&
          el.textContent ===
            'The annotation cloudspectra.io/fabric-workload is missing. You need to add the annotation to your Component if you want to enable this tool.',
      ),
    ).toBeVisible();
    // … and the YAML example shows where it goes.
    expect(screen.getByText('cloudspectra.io/fabric-workload:')).toBeVisible();
    expect(api.capacity).not.toHaveBeenCalled();
  });

  it('shows capacity within quota for a tightly-coupled H100 workload', async () => {
    const api = mockApi();
    await render(llmPretraining, api);

    expect(
      await screen.findByText('Capacity for a tightly-coupled workload (H100)'),
    ).toBeVisible();
    expect(api.capacity).toHaveBeenCalledTimes(1);
    expect(api.capacity).toHaveBeenCalledWith({ gpu: 'H100', efaOnly: true });

    expect(screen.getByText('demo estate')).toBeVisible();
    expect(screen.getByText(/one AZ-ID, EFA-capable types only/)).toBeVisible();
    expect(
      screen.getByText(
        '1 cell(s) could not be discovered; capacity there is not shown.',
      ),
    ).toBeVisible();

    // Seven offerings came back; the two without quota headroom are not shown.
    const rows = dataRows();
    expect(rows).toHaveLength(5);
    const texts = rows.map(r => r.textContent ?? '');

    // AZ-ID first, the account's own AZ name beside it: the same physical zone is
    // us-east-1c in the hub and us-east-1b in ml-research.
    expect(screen.getAllByText('use1-az4 (us-east-1c)')).toHaveLength(3);
    expect(screen.getAllByText('use1-az4 (us-east-1b)')).toHaveLength(1);
    expect(screen.getAllByText('usw2-az2 (us-west-2c)')).toHaveLength(1);

    // Cheapest per GPU-hour first: ml-inference spot in us-west-2 at $18.92 / 8 GPUs.
    const first = within(rows[0]);
    expect(first.getByText('us-west-2')).toBeVisible();
    expect(first.getByText('ml-inference')).toBeVisible();
    expect(first.getByText('p5.48xlarge')).toBeVisible();
    expect(first.getByText('8× H100')).toBeVisible();
    expect(first.getByText('spot')).toBeVisible();
    expect(first.getByText('$2.37')).toBeVisible();
    expect(first.getByText('2')).toBeVisible();

    const hubSpot = rows.find(
      r =>
        r.textContent?.includes('ml-platform-hub') &&
        r.textContent.includes('spot'),
    )!;
    expect(hubSpot).toBeDefined();
    expect(within(hubSpot).getByText('use1-az4 (us-east-1c)')).toBeVisible();
    expect(within(hubSpot).getByText('$2.57')).toBeVisible();

    // Quota walls are hidden: ml-research has no spot P5 quota, ml-inference no
    // on-demand P quota.
    expect(
      texts.filter(t => t.includes('ml-research') && t.includes('spot')),
    ).toEqual([]);
    expect(
      texts.filter(t => t.includes('ml-inference') && t.includes('on-demand')),
    ).toEqual([]);
    // Every row shown is an H100.
    expect(texts.every(t => t.includes('8× H100'))).toBe(true);
  });

  it('asks for the GPU family when the annotation names an instance type', async () => {
    const api = mockApi({
      capacity: jest
        .fn()
        .mockResolvedValue({
          ...h100EfaCapacity,
          rows: [],
          byRegionAndGpu: [],
        }),
    });
    await render(
      component({
        'cloudspectra.io/fabric-workload': 'throughput',
        'cloudspectra.io/fabric-gpu': 'p5.48xlarge',
      }),
      api,
    );

    expect(
      await screen.findByText(
        'No capacity within quota matches this intent now.',
      ),
    ).toBeVisible();
    expect(api.capacity).toHaveBeenCalledWith({ family: 'p5' });
  });

  it('warns about an unknown intent instead of querying capacity', async () => {
    const api = mockApi();
    await render(
      component({ 'cloudspectra.io/fabric-workload': 'burst' }),
      api,
    );

    const warning = screen.getByRole('alert');
    expect(
      within(warning).getByText('Warning: Unknown fabric intent'),
    ).toBeVisible();
    // The panel opens to say what is wrong and what to write instead.
    fireEvent.click(
      within(warning).getByText('Warning: Unknown fabric intent'),
    );
    expect(
      await within(warning).findByText(
        'The annotation cloudspectra.io/fabric-workload is "burst"; use throughput, tightly-coupled or balanced.',
      ),
    ).toBeVisible();
    expect(api.capacity).not.toHaveBeenCalled();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('shows an error panel when the backend fails', async () => {
    const response = new Response(
      JSON.stringify({
        error: {
          name: 'ServiceUnavailableError',
          message: 'No inventory yet: discovery has not finished',
        },
        request: {
          method: 'GET',
          url: '/api/fabric/capacity?gpu=H100&efaOnly=true',
        },
        response: { statusCode: 503 },
      }),
      {
        status: 503,
        statusText: 'Service Unavailable',
        headers: { 'Content-Type': 'application/json' },
      },
    );
    const api = mockApi({
      capacity: jest
        .fn()
        .mockRejectedValue(await ResponseError.fromResponse(response)),
    });
    await render(llmPretraining, api);

    const panel = await screen.findByRole('alert');
    expect(
      within(panel).getByText(
        'Error: Request failed with 503 Service Unavailable',
      ),
    ).toBeVisible();
    expect(screen.queryByText('demo estate')).not.toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();

    fireEvent.click(
      within(panel).getByText(
        'Error: Request failed with 503 Service Unavailable',
      ),
    );
    expect(
      await within(panel).findByText(
        'No inventory yet: discovery has not finished',
      ),
    ).toBeVisible();
    expect(
      within(panel).getByText('GET /api/fabric/capacity?gpu=H100&efaOnly=true'),
    ).toBeVisible();
  });

  it('lists the workload\'s placements with where, cost and the reasons behind them', async () => {
    const cellsPlan = {
      id: '7d2f1a90-0c1b-4e2a-9f3c-5a6b7c8d9e0f',
      kind: 'cells',
      subject: placedTrainingRun.id,
      status: 'planned',
      plan: { id: '7d2f1a90-0c1b-4e2a-9f3c-5a6b7c8d9e0f', title: 'Provision 1 cell(s) for placement 5b1c', steps: [] },
    };
    const api = mockApi({
      placements: jest.fn().mockResolvedValue([placedTrainingRun]),
      plans: jest.fn().mockResolvedValue([cellsPlan]),
    });
    await render(llmPretraining, api);

    expect(await screen.findByText('Placements')).toBeVisible();
    expect(api.placements).toHaveBeenCalledWith('component:default/llm-pretraining');
    const card = screen.getByText('Placements').closest('.MuiCard-root') as HTMLElement;
    expect(within(card).getByText('placed')).toBeVisible();
    expect(within(card).getByText('16 / 16')).toBeVisible();
    expect(within(card).getByText('use1-az4 (us-east-1c) · 111111111111/us-east-1')).toBeVisible();
    expect(within(card).getByText('$62.93')).toBeVisible();
    expect(within(card).getByText('0%')).toBeVisible();

    // The detail panel carries the reasons and the Karpenter YAML.
    const row = within(card).getByText('placed').closest('tr') as HTMLElement;
    fireEvent.click(within(row).getAllByRole('button')[0]);
    expect(await within(card).findByText('Reserved capacity first: the gang fits in one capacity block.')).toBeVisible();
    expect(within(card).getByText(/kind: NodePool/)).toBeInTheDocument();
    // Its plans link to the plan viewer.
    const link = await within(card).findByText('Provision 1 cell(s) for placement 5b1c');
    expect(link.closest('a')).toHaveAttribute('href', '/fabric/plans/7d2f1a90-0c1b-4e2a-9f3c-5a6b7c8d9e0f');
    expect(api.plans).toHaveBeenCalledWith({ kind: 'cells', subject: placedTrainingRun.id });
  });

  it('says when a workload has no placement yet', async () => {
    await render(llmPretraining, mockApi());
    expect(await screen.findByText(/No placement yet/)).toBeVisible();
  });

  it("shows the workload's own fabric nodes and waiting pods from the hub cluster", async () => {
    const api = mockApi({
      nodeClaims: jest.fn().mockResolvedValue({
        configured: true,
        items: [
          {
            name: 'fabric-pretrain-0',
            cell: '333333333333.eu-west-1',
            accountId: '333333333333',
            region: 'eu-west-1',
            azId: 'euw1-az2',
            instanceType: 'p5.48xlarge',
            capacityType: 'on-demand',
            state: 'Ready',
            createdAt: new Date().toISOString(),
            ageSeconds: 300,
            pricePerHour: 98.32,
          },
        ],
        pendingPods: [],
      }),
      provisioner: jest.fn().mockResolvedValue({ configured: true, leader: 'fabric-backend-1', leaseExpired: false }),
    });
    await render(llmPretraining, api);
    expect(await screen.findByText('Nodes in 333333333333 · eu-west-1')).toBeVisible();
    expect(screen.getByText('fabric-pretrain-0')).toBeVisible();
    expect(screen.getByText('fabric-backend-1')).toBeVisible();
    expect(api.nodeClaims).toHaveBeenCalledWith({ entityRef: 'component:default/llm-pretraining' });
  });
});
