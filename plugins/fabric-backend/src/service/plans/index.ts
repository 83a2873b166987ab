import { CellPlanner } from './CellPlanner';
import { IslandPlanner } from './IslandPlanner';
import { MeshPlanner } from './MeshPlanner';
import { PlanningDeps } from './planningDeps';
import { PlanRunner } from './PlanRunner';
import { fabricStepExecutors } from './stepExecutors';

/** The fabric's planners, one per kind of change, and the runner that applies their plans. */
export interface Planning {
  mesh: MeshPlanner;
  islands: IslandPlanner;
  cells: CellPlanner;
  runner: PlanRunner;
}

export function createPlanning(deps: PlanningDeps): Planning {
  const executors = () => fabricStepExecutors(deps);
  return {
    mesh: new MeshPlanner({ ...deps, executors }),
    islands: new IslandPlanner({ ...deps, executors }),
    cells: new CellPlanner(deps),
    runner: new PlanRunner({ ...deps, executors }),
  };
}

export type { PlanningDeps } from './planningDeps';
export type { MeshPlanRequest } from './MeshPlanner';
export { MeshPlanner, IslandPlanner, CellPlanner, PlanRunner };
