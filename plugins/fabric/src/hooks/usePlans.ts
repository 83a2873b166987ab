import { useCallback, useEffect, useMemo, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { cellId, PlanFilter, PlanStepView, PlanView } from '@internal/backstage-plugin-fabric-common';
import { fabricApiRef } from '../api/FabricApi';

/** How often a plan that is applying is read again. */
const POLL_MS = 1500;

/** Stored plans of one kind (and subject), newest first. */
export function usePlans({ kind, subject }: PlanFilter) {
  const api = useApi(fabricApiRef);
  return useAsync(() => api.plans({ kind, subject }), [api, kind, subject]);
}

/** The newest stored plan of one kind (and subject); undefined when there is none. */
export function useLatestPlan({ kind, subject }: PlanFilter) {
  const api = useApi(fabricApiRef);
  return useAsync(async () => (await api.plans({ kind, subject }))[0], [api, kind, subject]);
}

/** A step of a plan as its table shows it: its place, its call and its cell. */
export type StepRow = PlanStepView & { id: string; index: number; type: string; cell: string };

/** A plan's steps in order, each with what the plan says it calls and where. */
export function stepRowsOf(plan: PlanView): StepRow[] {
  const planned = new Map(plan.plan.steps.map(step => [step.key, step]));
  return plan.steps.map((step, i) => {
    const summary = planned.get(step.key);
    return {
      ...step,
      id: step.key,
      index: i + 1,
      type: summary?.type ?? '',
      cell: summary?.cell ? cellId(summary.cell) : '',
    };
  });
}

/**
 * One plan and its step rows, read again every {@link POLL_MS} while it applies so each
 * step's status shows as it changes, and `apply` to start applying it.
 */
export function usePlan(planId: string) {
  const api = useApi(fabricApiRef);
  const alertApi = useApi(alertApiRef);
  const state = useAsyncRetry(() => api.plan(planId), [api, planId]);
  const [applying, setApplying] = useState(false);
  const { retry, value: plan } = state;

  useEffect(() => {
    if (plan?.status !== 'applying') return undefined;
    const timer = setTimeout(retry, POLL_MS);
    return () => clearTimeout(timer);
  }, [plan, retry]);

  const apply = useCallback(async () => {
    setApplying(true);
    try {
      await api.applyPlan(planId);
      retry();
    } catch (error) {
      alertApi.post({ message: `Could not apply: ${(error as Error).message}`, severity: 'error' });
    } finally {
      setApplying(false);
    }
  }, [api, alertApi, planId, retry]);

  const steps = useMemo(() => (plan ? stepRowsOf(plan) : []), [plan]);
  return { state, plan, steps, apply, applying };
}
