import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { Route, Routes } from 'react-router-dom';
import { PlanView } from '@internal/backstage-plugin-fabric-common';
import { FabricApi, fabricApiRef } from '../../api/FabricApi';
import { PlanPage } from './PlanPage';

const plan = (status: PlanView['status'], stepStatus: Array<'pending' | 'running' | 'done' | 'failed'>): PlanView => ({
  id: '0f5e2c7a-1b2c-4d3e-8f90-123456789abc',
  kind: 'mesh',
  subject: 'mesh',
  status,
  createdBy: 'user:default/platform-admin',
  createdAt: '2026-11-29T10:00:00.000Z',
  updatedAt: '2026-11-29T10:00:00.000Z',
  plan: {
    id: '0f5e2c7a-1b2c-4d3e-8f90-123456789abc',
    title: 'Peering mesh: 1 new peering',
    steps: [
      { key: 'a', title: 'Request peering hub → research', type: 'ec2:CreateVpcPeeringConnection', cell: { accountId: '111111111111', region: 'us-east-1' } },
      { key: 'b', title: 'Accept peering in research', type: 'ec2:AcceptVpcPeeringConnection', cell: { accountId: '222222222222', region: 'us-west-2' } },
    ],
  },
  details: {
    refused: [{ a: '111111111111/us-east-1', b: '333333333333/us-east-1', reason: 'CIDRs 10.0.0.0/16 and 10.0.0.0/16 overlap' }],
    cost: { peering: { totalUsd: 20 }, transitGateway: { totalUsd: 93 } },
  },
  steps: [
    { key: 'a', title: 'Request peering hub → research', status: stepStatus[0], output: stepStatus[0] === 'done' ? { VpcPeeringConnectionId: 'pcx-1', created: true } : undefined },
    { key: 'b', title: 'Accept peering in research', status: stepStatus[1], error: stepStatus[1] === 'failed' ? 'OperationNotPermitted: not the accepter' : undefined },
  ],
});

async function render(api: Partial<FabricApi>) {
  return renderInTestApp(
    <TestApiProvider apis={[[fabricApiRef, api]]}>
      <Routes>
        <Route path="/plans/:planId" element={<PlanPage />} />
      </Routes>
    </TestApiProvider>,
    { routeEntries: ['/plans/0f5e2c7a-1b2c-4d3e-8f90-123456789abc'] },
  );
}

describe('PlanPage', () => {
  it('shows every step before anything changes, the refused pairs and the cost', async () => {
    const api = { plan: jest.fn().mockResolvedValue(plan('planned', ['pending', 'pending'])), applyPlan: jest.fn() };
    await render(api);
    expect(await screen.findByText('Peering mesh: 1 new peering')).toBeVisible();
    expect(api.plan).toHaveBeenCalledWith('0f5e2c7a-1b2c-4d3e-8f90-123456789abc');
    expect(screen.getByTestId('plan-status')).toHaveTextContent('Status: planned · 0 of 2 steps done');
    expect(screen.getByText('Request peering hub → research')).toBeVisible();
    expect(screen.getByText('ec2:AcceptVpcPeeringConnection')).toBeVisible();
    expect(screen.getByText('222222222222/us-west-2')).toBeVisible();
    expect(screen.getByText(/1 pair\(s\) refused/)).toBeInTheDocument();
    expect(screen.getByText('Peering mesh $20.00 · Transit Gateway $93.00')).toBeVisible();
  });

  it('applies on request and shows each step as it progresses', async () => {
    const api = {
      plan: jest
        .fn()
        .mockResolvedValueOnce(plan('planned', ['pending', 'pending']))
        .mockResolvedValueOnce(plan('applying', ['done', 'running']))
        .mockResolvedValue(plan('failed', ['done', 'failed'])),
      applyPlan: jest.fn().mockResolvedValue(plan('applying', ['running', 'pending'])),
    };
    await render(api);
    fireEvent.click(await screen.findByText('Apply plan'));
    await waitFor(() => expect(screen.getByTestId('plan-status')).toHaveTextContent('Status: applying · 1 of 2 steps done'));
    expect(api.applyPlan).toHaveBeenCalledWith('0f5e2c7a-1b2c-4d3e-8f90-123456789abc');
    // It polls while applying, and shows the failure and its reason when the apply stops.
    // (The next read comes 1.5 s later; setupTests allows long enough for it.)
    await waitFor(() =>
      expect(screen.getByTestId('plan-status')).toHaveTextContent('Status: failed · 1 of 2 steps done'),
    );
    const failedRow = screen.getByText('Accept peering in research').closest('tr') as HTMLElement;
    expect(within(failedRow).getByText('OperationNotPermitted: not the accepter')).toBeVisible();
    const doneRow = screen.getByText('Request peering hub → research').closest('tr') as HTMLElement;
    expect(within(doneRow).getByText('VpcPeeringConnectionId: pcx-1')).toBeVisible();
  });
});
