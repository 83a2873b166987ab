import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { alertApiRef } from '@backstage/core-plugin-api';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { CellStatus } from '@internal/backstage-plugin-fabric-common';
import { rootRouteRef } from '../../routes';
import { FabricApi, fabricApiRef } from '../../api/FabricApi';
import {
  demoEstate,
  demoHealth,
  estateCapacity,
  estateCapacityFor,
  staleCell,
} from '../../__testUtils__/fixtures';
import { FabricEstatePage } from './FabricEstatePage';

/*
 * Each render of the page draws two charts and several material tables: about a second on
 * an idle machine, several on a loaded 2-core one. So each test renders the page once and
 * asserts all it can on that render, finds elements by text or by plain DOM queries
 * rather than by role over the whole page, and allows far more than jest's 5 s default.
 */
const PAGE_TIMEOUT = 60_000;

function mockApi(overrides: Partial<FabricApi> = {}): jest.Mocked<FabricApi> {
  return {
    health: jest.fn().mockResolvedValue(demoHealth),
    capacity: jest.fn(async filter => estateCapacityFor(filter)),
    estate: jest.fn().mockResolvedValue(demoEstate),
    plans: jest.fn().mockResolvedValue([]),
    nodeClaims: jest.fn().mockResolvedValue({ configured: false, items: [], pendingPods: [] }),
    provisioner: jest.fn().mockResolvedValue({ configured: false }),
    ...overrides,
  } as jest.Mocked<FabricApi>;
}

async function render(api: FabricApi, alertApi: { post: jest.Mock } = { post: jest.fn() }) {
  return renderInTestApp(
    <TestApiProvider apis={[[fabricApiRef, api], [alertApiRef, alertApi as any]]}>
      <FabricEstatePage />
    </TestApiProvider>,
    { mountedRoutes: { '/fabric': rootRouteRef } },
  );
}

/**
 * The table that a visible title (a table's toolbar or a card's header) belongs to.
 * With paging on, the pager is a second table after it; the data table comes first.
 */
function tableTitled(title: string): HTMLElement {
  let el: HTMLElement | null = screen.getByText(title);
  while (el && !el.querySelector('table')) el = el.parentElement;
  if (!el) throw new Error(`No table under the title "${title}"`);
  return el.querySelector('table')!;
}

/** Body rows of a table with data in them (not the header, not paging filler). */
function dataRows(table: HTMLElement): HTMLElement[] {
  return [...table.querySelectorAll<HTMLElement>(':scope > tbody > tr')].filter(row => row.querySelector('td'));
}

function cellTexts(row: HTMLElement): string[] {
  return [...row.querySelectorAll('td')].map(c => c.textContent ?? '');
}

/** The card under a title (class names carry a suffix on this page). */
function cardTitled(title: string): HTMLElement {
  return screen.getByText(title).closest('[class*="MuiCard-root"]') as HTMLElement;
}

/** The warning or error panel a visible text stands in. */
function alertOf(text: HTMLElement): HTMLElement {
  return text.closest('[role="alert"]') as HTMLElement;
}

const SUMMARY = 'Capacity by region × GPU (select a row for AZ-IDs)';
const HEAT_MAP = 'GPUs within quota by region (rows) and GPU type (columns)';

describe('FabricEstatePage', () => {
  it('shows the region × GPU summary as a table, as a heat map, and the prices per GPU type', async () => {
    const api = mockApi();
    await render(api);

    expect(screen.getByText('GPU Fabric')).toBeVisible();
    expect(await screen.findByText('demo estate')).toBeVisible();
    expect(screen.getByText('plan-only')).toBeVisible();
    expect(api.capacity).toHaveBeenCalledWith();
    expect(screen.getByText(/4 accounts · 3 cells · inventory taken just now/)).toBeVisible();

    // Region by region, the most GPUs first; a missing price shows as a dash.
    expect(dataRows(tableTitled(SUMMARY)).map(cellTexts)).toEqual([
      ['eu-west-1', 'A10G', '384', '$0.42', '—'],
      ['us-east-1', 'L4', '768', '$0.31', '$0.80'],
      ['us-east-1', 'H100', '96', '$2.57', '$6.88'],
      ['us-west-2', 'H100', '64', '—', '$6.88'],
    ]);
    // No drill-down until a row is chosen.
    expect(screen.queryByText(/by AZ-ID$/)).not.toBeInTheDocument();

    // The heat map: one cell per region × GPU type, named for what it holds; the biggest pools first.
    const map = screen.getByLabelText(HEAT_MAP);
    expect(map).toHaveAttribute('role', 'group');
    expect(within(map).getAllByRole('button').map(c => c.getAttribute('aria-label'))).toEqual([
      'eu-west-1 × A10G: 384 GPUs within quota',
      'us-east-1 × L4: 768 GPUs within quota',
      'us-east-1 × H100: 96 GPUs within quota',
      'us-west-2 × H100: 64 GPUs within quota',
    ]);
    // Combinations nobody offers are drawn empty and cannot be selected.
    expect(within(map).getAllByRole('img').map(c => c.getAttribute('aria-label'))).toEqual([
      'eu-west-1 × L4: not offered',
      'eu-west-1 × H100: not offered',
      'us-east-1 × A10G: not offered',
      'us-west-2 × L4: not offered',
      'us-west-2 × A10G: not offered',
    ]);
    // The numbers are printed in the cells, the axes name the rows and columns.
    for (const text of ['768', '384', '96', '64', 'L4', 'A10G', 'H100', 'eu-west-1', 'us-east-1', 'us-west-2']) {
      expect(within(map).getByText(text)).toBeInTheDocument();
    }

    // Spot against on-demand: the legend names both series, spot first.
    const prices = cardTitled('Spot vs on-demand');
    expect(
      [...prices.querySelectorAll('.recharts-legend-item-text')].map(t => t.textContent),
    ).toEqual(['Cheapest spot $/GPU-h', 'Cheapest on-demand $/GPU-h']);
    expect(within(prices).getByText('Cheapest spot $/GPU-h')).toBeVisible();
    expect(within(prices).getByText('Cheapest on-demand $/GPU-h')).toBeVisible();
    // One bar group per GPU type, dearest first, each bar labelled with its price.
    const ticks = [...prices.querySelectorAll('.recharts-xAxis-tick-labels text')].map(t => t.textContent);
    expect(ticks).toEqual(['H100', 'L4', 'A10G']);
    for (const price of ['$2.57', '$6.88', '$0.31', '$0.80', '$0.42']) {
      expect(within(prices).getByText(price)).toBeInTheDocument();
    }
  }, PAGE_TIMEOUT);

  it('warns once per stale cell that results are partial, lists every cell with its health, and explains islands', async () => {
    const throttled: CellStatus = {
      ...staleCell,
      accountId: '222222222222',
      accountName: 'ml-research',
      region: 'us-west-2',
      error: 'RequestLimitExceeded: Request limit exceeded.',
    };
    await render(
      mockApi({
        capacity: jest.fn().mockResolvedValue({ ...estateCapacity, staleCells: [staleCell, throttled] }),
      }),
    );

    const title = await screen.findByText('Warning: 2 cell(s) stale: results are partial');
    const warning = alertOf(title);
    expect(title).toBeVisible();
    // One line per cell, naming the account, the region and the error.
    const denied = within(warning).getByText(
      /^ml-inference eu-west-1: AccessDenied: .* not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role\/fabric-member$/,
    );
    const limited = within(warning).getByText('ml-research us-west-2: RequestLimitExceeded: Request limit exceeded.');
    // The panel starts folded; opening it shows them.
    expect(denied).not.toBeVisible();
    fireEvent.click(title);
    await waitFor(() => expect(denied).toBeVisible());
    expect(limited).toBeVisible();

    // Every cell of the estate with its health.
    const rows = dataRows(tableTitled('Cells (account × region)'));
    expect(rows).toHaveLength(3);
    const stale = rows.find(r => r.textContent?.includes('ml-inference (333333333333)'))!;
    expect(cellTexts(stale)).toEqual(
      expect.arrayContaining(['ml-inference (333333333333)', 'eu-west-1', 'stale', '6 h ago']),
    );
    expect(within(stale).getByText(/^AccessDenied: /)).toBeVisible();
    const hub = rows.find(r => r.textContent?.includes('ml-platform-hub (111111111111)'))!;
    expect(within(hub).getByText('fresh')).toBeVisible();
    expect(within(hub).getByText(/c→use1-az4/)).toBeVisible();

    // Islands are explained, with a link to the template that creates them.
    const islands = cardTitled('EFA training islands');
    expect(within(islands).getByText(/Islands are created from the training-island template/)).toBeVisible();
    expect(within(islands).getByText('Create a training island').closest('a')).toHaveAttribute('href', '/create');
  }, PAGE_TIMEOUT);

  it('drills down to AZ-IDs from a summary row or a heat-map cell, by mouse or keyboard', async () => {
    const api = mockApi();
    await render(api);
    await screen.findByText('demo estate');
    const map = screen.getByLabelText(HEAT_MAP);
    const h100Cell = within(map).getByLabelText('us-east-1 × H100: 96 GPUs within quota');
    const l4Cell = within(map).getByLabelText('us-east-1 × L4: 768 GPUs within quota');
    expect(h100Cell).toHaveAttribute('aria-pressed', 'false');

    // A summary row, chosen with the mouse.
    const h100Row = dataRows(tableTitled(SUMMARY)).find(
      r => cellTexts(r)[0] === 'us-east-1' && cellTexts(r)[1] === 'H100',
    )!;
    fireEvent.click(within(h100Row).getByText('H100'));
    expect(await screen.findByText('H100 in us-east-1 by AZ-ID')).toBeVisible();
    // The API sums the selection by AZ-ID.
    expect(api.capacity).toHaveBeenCalledWith({ region: 'us-east-1', gpu: 'H100' });
    expect(h100Cell).toHaveAttribute('aria-pressed', 'true');

    // One row per physical zone, with what each account calls it.
    const zones = dataRows(tableTitled('H100 in us-east-1 by AZ-ID'));
    expect(zones.map(r => cellTexts(r)[0])).toEqual(['use1-az4']);
    expect(cellTexts(zones[0])[1]).toBe('ml-platform-hub: us-east-1c · ml-research: us-east-1b');

    const drillDown = tableTitled('H100 offerings in us-east-1');
    const rows = dataRows(drillDown);
    expect(rows).toHaveLength(3);
    // The same physical zone under each account's own name.
    expect(rows.map(r => cellTexts(r)[0]).sort()).toEqual([
      'use1-az4 (us-east-1b)',
      'use1-az4 (us-east-1c)',
      'use1-az4 (us-east-1c)',
    ]);
    expect(rows.filter(r => cellTexts(r)[1] === 'ml-platform-hub (111111111111)')).toHaveLength(2);
    // The quota wall stays visible here: ml-research may not run spot P5.
    const research = rows.find(r => r.textContent?.includes('ml-research (222222222222)'))!;
    expect(cellTexts(research)).toEqual(
      expect.arrayContaining(['use1-az4 (us-east-1b)', 'p5.48xlarge', '8', 'spot', '$16.87', '6', '0']),
    );
    // Only H100 offerings in us-east-1.
    expect(within(drillDown).queryByText('g6.xlarge')).not.toBeInTheDocument();
    expect(within(drillDown).queryByText(/usw2-az/)).not.toBeInTheDocument();

    // A heat-map cell, chosen with the keyboard, replaces the drill-down.
    fireEvent.keyDown(l4Cell, { key: 'Enter' });
    expect(await screen.findByText('L4 in us-east-1 by AZ-ID')).toBeVisible();
    expect(screen.queryByText('H100 in us-east-1 by AZ-ID')).not.toBeInTheDocument();
    expect(l4Cell).toHaveAttribute('aria-pressed', 'true');
    expect(h100Cell).toHaveAttribute('aria-pressed', 'false');
    expect(
      dataRows(tableTitled('L4 offerings in us-east-1')).map(r => cellTexts(r)[0]),
    ).toEqual(['use1-az2 (us-east-1a)', 'use1-az2 (us-east-1a)']);

    // And one chosen with the mouse.
    fireEvent.click(h100Cell);
    expect(await screen.findByText('H100 in us-east-1 by AZ-ID')).toBeVisible();
    expect(h100Cell).toHaveAttribute('aria-pressed', 'true');
    expect(
      dataRows(tableTitled('H100 in us-east-1 by AZ-ID')).map(r => cellTexts(r)[0]),
    ).toEqual(['use1-az4']);
  }, PAGE_TIMEOUT);

  it('shows the peering mesh the estate implies and plans it on request', async () => {
    const planMesh = jest.fn().mockResolvedValue({ id: '0f5e2c7a-1b2c-4d3e-8f90-123456789abc' });
    const networkCell = {
      accountId: '444444444444',
      accountName: 'network',
      region: 'us-east-1',
      fresh: true,
      azMap: {},
    };
    await render(
      mockApi({
        planMesh,
        estate: jest.fn().mockResolvedValue({ ...demoEstate, cells: [...demoEstate.cells, networkCell] }),
      }),
    );
    await screen.findByText('demo estate');

    const card = cardTitled('Peering mesh');
    // The network account's cell is not a mesh member: 3 cells, 3 pairs.
    expect(within(card).getByTestId('fabric-mesh-summary')).toHaveTextContent(
      '3 cells → 3 peerings (N(N−1)/2): 1 within a region, 2 across regions.',
    );
    // The member cells as accounts × regions, each with its discovery health.
    const matrix = within(card).getByLabelText('Cells of the mesh by account and region');
    expect([...matrix.querySelectorAll('thead th')].map(h => h.textContent)).toEqual([
      'Account',
      'eu-west-1',
      'us-east-1',
    ]);
    const rows = [...matrix.querySelectorAll<HTMLElement>('tbody tr')];
    expect(rows.map(r => [r.querySelector('th[role="rowheader"]')?.textContent, ...cellTexts(r)])).toEqual([
      ['ml-inference', 'joins, stale', '—'],
      ['ml-platform-hub', '—', 'joins'],
      ['ml-research', '—', 'joins'],
    ]);
    expect(within(matrix).queryByText('network')).not.toBeInTheDocument();

    expect(within(card).getByTestId('fabric-mesh-latest')).toHaveTextContent('No mesh plan yet.');

    fireEvent.click(within(card).getByText('Plan the peering mesh'));
    await waitFor(() => expect(planMesh).toHaveBeenCalledTimes(1));
  }, PAGE_TIMEOUT);

  it('plans the mesh removal on request, and says why when there is nothing to remove', async () => {
    const planMeshRemoval = jest
      .fn()
      .mockRejectedValueOnce(new Error('The mesh has nothing the fabric created to remove'))
      .mockResolvedValueOnce({ id: '1a2b3c4d-1b2c-4d3e-8f90-123456789abc' });
    const alertApi = { post: jest.fn() };
    await render(mockApi({ planMeshRemoval }), alertApi);
    await screen.findByText('demo estate');
    const card = cardTitled('Peering mesh');

    fireEvent.click(within(card).getByText('Plan mesh removal'));
    await waitFor(() =>
      expect(alertApi.post).toHaveBeenCalledWith({
        message: 'Could not plan the mesh removal: The mesh has nothing the fabric created to remove',
        severity: 'error',
      }),
    );
    fireEvent.click(within(card).getByText('Plan mesh removal'));
    await waitFor(() => expect(planMeshRemoval).toHaveBeenCalledTimes(2));
  }, PAGE_TIMEOUT);

  it('links the latest mesh plan, and keeps the card when plans cannot be listed', async () => {
    const plans = jest.fn().mockResolvedValue([
      {
        id: '0f5e2c7a-1b2c-4d3e-8f90-123456789abc',
        kind: 'mesh',
        subject: 'mesh',
        status: 'planned',
        createdBy: 'user:default/platform-admin',
        createdAt: new Date(Date.now() - 5 * 60_000).toISOString(),
        updatedAt: new Date().toISOString(),
        plan: { id: '0f5e2c7a-1b2c-4d3e-8f90-123456789abc', title: 'Peering mesh: 36 new peerings', steps: [] },
      },
    ]);
    const { unmount } = await render(mockApi({ plans }));
    const latest = await screen.findByTestId('fabric-mesh-latest');
    await waitFor(() =>
      expect(latest).toHaveTextContent(
        'Latest mesh plan: Peering mesh: 36 new peerings, planned, by user:default/platform-admin, 5 min ago.',
      ),
    );
    expect(plans).toHaveBeenCalledWith({ kind: 'mesh' });
    expect(within(latest).getByRole('link', { name: 'Peering mesh: 36 new peerings' })).toHaveAttribute(
      'href',
      '/fabric/plans/0f5e2c7a-1b2c-4d3e-8f90-123456789abc',
    );
    unmount();

    await render(mockApi({ plans: jest.fn().mockRejectedValue(new Error('No fabric route for GET /plans')) }));
    expect(await screen.findByTestId('fabric-mesh-latest')).toHaveTextContent(
      'Earlier mesh plans could not be listed: No fabric route for GET /plans',
    );
    expect(screen.getByTestId('fabric-mesh-summary')).toHaveTextContent('3 cells → 3 peerings');
  }, PAGE_TIMEOUT);

  it('has a Nodes section that explains how to get a hub cluster when none is configured', async () => {
    const api = mockApi();
    await render(api);
    expect(await screen.findByText('Nodes', {}, { timeout: PAGE_TIMEOUT })).toBeVisible();
    expect(await screen.findByText('No hub cluster is configured')).toBeVisible();
    expect(screen.getByText('npm run sandbox')).toBeVisible();
    expect(api.nodeClaims).toHaveBeenCalledWith({});
  }, PAGE_TIMEOUT);

  it('shows an error panel when the backend cannot be reached', async () => {
    await render(
      mockApi({
        health: jest.fn().mockRejectedValue(new Error('Failed to fetch')),
      }),
    );

    const message = await screen.findByText('Error: Failed to fetch');
    expect(alertOf(message)).toBeInTheDocument();
    expect(message).toBeVisible();
    expect(screen.queryByText('demo estate')).not.toBeInTheDocument();
  });
});
