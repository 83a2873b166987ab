import { FabricClient } from './FabricClient';

function client(body: unknown, status = 200) {
  const fetch = jest.fn(
    async (_input: RequestInfo | URL, _init?: RequestInit) =>
      new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }),
  );
  const discoveryApi = { getBaseUrl: jest.fn().mockResolvedValue('http://backend/api/fabric') };
  return { fetch, client: new FabricClient({ discoveryApi, fetchApi: { fetch } }) };
}

describe('FabricClient', () => {
  it('sends only the capacity filters that are set', async () => {
    const { fetch, client: api } = client({ rows: [] });
    await api.capacity({ intent: 'tightly-coupled', gpu: 'H100', region: '' });
    expect(fetch).toHaveBeenCalledWith('http://backend/api/fabric/capacity?intent=tightly-coupled&gpu=H100');
  });

  it('lists plans of one kind, newest first as the backend returns them', async () => {
    const items = [{ id: 'b' }, { id: 'a' }];
    const { fetch, client: api } = client({ items });
    await expect(api.plans({ kind: 'mesh' })).resolves.toEqual(items);
    expect(fetch).toHaveBeenCalledWith('http://backend/api/fabric/plans?kind=mesh');
    await api.plans();
    expect(fetch).toHaveBeenLastCalledWith('http://backend/api/fabric/plans');
  });

  it('asks for the node claims of one entity only when a filter is set', async () => {
    const { fetch, client: api } = client({ configured: true, items: [], pendingPods: [] });
    await api.nodeClaims({ entityRef: 'component:default/llm-serving', cell: '' });
    expect(fetch).toHaveBeenCalledWith('http://backend/api/fabric/nodeclaims?entityRef=component%3Adefault%2Fllm-serving');
    await api.nodeClaims();
    expect(fetch).toHaveBeenLastCalledWith('http://backend/api/fabric/nodeclaims');
  });

  it('turns an error response into a ResponseError', async () => {
    const { client: api } = client(
      { error: { name: 'NotFoundError', message: 'No fabric route for GET /plans' }, response: { statusCode: 404 } },
      404,
    );
    await expect(api.plans()).rejects.toThrow('Request failed with 404');
  });
});
