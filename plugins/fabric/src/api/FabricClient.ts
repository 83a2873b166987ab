import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  EstateResponse,
  NodeClaimsResponse,
  PlacementRecord,
  PlanFilter,
  PlanSummary,
  PlanView,
  ProvisionerHealthResponse,
} from '@internal/backstage-plugin-fabric-common';
import { CapacityFilter, FabricApi, NodeClaimFilter } from './FabricApi';

/** {@link FabricApi} over HTTP, with the signed-in user's credentials. @public */
export class FabricClient implements FabricApi {
  constructor(private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {}

  health() {
    return this.get('/health');
  }

  capacity(filter: CapacityFilter = {}) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const query = params.toString();
    return this.get(`/capacity${query ? `?${query}` : ''}`);
  }

  estate(): Promise<EstateResponse> {
    return this.get('/estate');
  }

  async placements(entityRef: string): Promise<PlacementRecord[]> {
    const body = await this.get(`/placements?entityRef=${encodeURIComponent(entityRef)}`);
    return body.items;
  }

  planMesh(): Promise<PlanView> {
    return this.send('POST', '/mesh/plan', {});
  }

  planMeshRemoval(): Promise<PlanView> {
    return this.send('DELETE', '/mesh');
  }

  async plans(filter: PlanFilter = {}): Promise<PlanSummary[]> {
    const params = new URLSearchParams();
    if (filter.kind) params.set('kind', filter.kind);
    if (filter.subject) params.set('subject', filter.subject);
    const query = params.toString();
    const body = await this.get(`/plans${query ? `?${query}` : ''}`);
    return body.items;
  }

  plan(id: string): Promise<PlanView> {
    return this.get(`/plans/${encodeURIComponent(id)}`);
  }

  applyPlan(id: string): Promise<PlanView> {
    return this.send('POST', `/plans/${encodeURIComponent(id)}/apply`);
  }

  nodeClaims(filter: NodeClaimFilter = {}): Promise<NodeClaimsResponse> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) {
      if (value) params.set(key, value);
    }
    const query = params.toString();
    return this.get(`/nodeclaims${query ? `?${query}` : ''}`);
  }

  provisioner(): Promise<ProvisionerHealthResponse> {
    return this.get('/provisioner');
  }

  private async send(method: string, path: string, body?: unknown) {
    const base = await this.deps.discoveryApi.getBaseUrl('fabric');
    const res = await this.deps.fetchApi.fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return res.json();
  }

  private async get(path: string) {
    const base = await this.deps.discoveryApi.getBaseUrl('fabric');
    const res = await this.deps.fetchApi.fetch(`${base}${path}`);
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return res.json();
  }
}
