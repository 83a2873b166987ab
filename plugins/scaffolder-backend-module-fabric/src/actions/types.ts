/**
 * What the actions read of a stored plan (`POST /islands`, `POST /mesh/plan`,
 * `GET /plans/:id`, `POST /plans/:id/apply`); the fabric backend owns the full shape.
 */
export interface FabricPlanView {
  id: string;
  kind: string;
  /** `mesh`, an island id, or a placement id. */
  subject: string;
  /** planned, applying, applied or failed. */
  status: string;
  plan: { id: string; title: string; steps: unknown[] };
  details?: Record<string, unknown>;
}
