import { ReactNode } from 'react';
import { act, renderHook, waitFor } from '@testing-library/react';
import { TestApiProvider } from '@backstage/test-utils';
import { FabricApi, fabricApiRef } from '../api/FabricApi';
import { useHubCluster } from './useHubCluster';

const answer = {
  configured: true,
  items: [
    {
      name: 'fabric-a',
      cell: '222222222222.us-west-2',
      state: 'Ready' as const,
      createdAt: '2026-12-01T10:00:00Z',
      ageSeconds: 60,
    },
  ],
  pendingPods: [],
};

describe('useHubCluster', () => {
  it('keeps the last answer on screen when reading again fails, with the error beside it', async () => {
    const api = {
      nodeClaims: jest
        .fn()
        .mockResolvedValueOnce(answer)
        .mockRejectedValueOnce(new Error('The hub cluster is unreachable: ECONNREFUSED')),
      provisioner: jest.fn().mockResolvedValue({ configured: true }),
    } as unknown as FabricApi;
    const wrapper = ({ children }: { children: ReactNode }) => (
      <TestApiProvider apis={[[fabricApiRef, api]]}>{children}</TestApiProvider>
    );
    const { result } = renderHook(() => useHubCluster('component:default/llm-serving'), { wrapper });

    await waitFor(() => expect(result.current.value?.cells.map(c => c.cell)).toEqual(['222222222222.us-west-2']));
    act(() => result.current.retry());
    await waitFor(() => expect(result.current.error?.message).toBe('The hub cluster is unreachable: ECONNREFUSED'));
    expect(result.current.value?.nodeClaims.items.map(i => i.name)).toEqual(['fabric-a']);
    expect(api.nodeClaims).toHaveBeenCalledWith({ entityRef: 'component:default/llm-serving' });
  });
});
