import { FabricClock, systemClock } from '../aws/clock';
import { StepExecutor } from '../plan/types';
import { peeringDnsExecutor } from './executors/dns';
import { peeringExecutors } from './executors/peering';
import { peeringActiveExecutor } from './executors/peeringActive';
import { routeExecutors } from './executors/routes';
import { MeshAwsAccess } from './peerings';

export interface MeshExecutorOptions extends MeshAwsAccess {
  clock?: FabricClock;
  /** How long a peering may take to turn active after acceptance (default 5 minutes). */
  activeTimeoutMs?: number;
  /** Pause between status checks while waiting (default 2 s). */
  pollIntervalMs?: number;
}

/**
 * Executors for the mesh's AWS steps, one provider per resource. Each call goes to the
 * step's cell: its account via `accountOf` (assumed role) and its region. None of these
 * EC2 APIs takes a `ClientToken`, so idempotency rests on the probes: a peering is found
 * by its VPC pair, a route by its table and destination.
 */
export function meshExecutors(options: MeshExecutorOptions): StepExecutor[] {
  const wait = {
    clock: options.clock ?? systemClock,
    activeTimeoutMs: options.activeTimeoutMs ?? 5 * 60_000,
    pollIntervalMs: options.pollIntervalMs ?? 2_000,
  };
  return [
    ...peeringExecutors(options),
    peeringActiveExecutor(options, wait),
    peeringDnsExecutor(options),
    ...routeExecutors(options),
  ];
}
