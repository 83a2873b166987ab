export type {
  JsonValue,
  StepOutputRef,
  StepKind,
  PlanStep,
  Plan,
  StepStatus,
  StepOutput,
  StepCheckpoint,
  CheckpointStore,
  StepContext,
  AppliedStep,
  StepExecutor,
} from './types';
export { isStepOutputRef, outputRef, parseOutputRef, referencedStepKeys, resolveRefs } from './refs';
export { FABRIC_TAG_KEYS, FABRIC_MANAGED_BY, fabricTags, isTaggedByStep, clientTokenFor } from './tags';
export type { AwsTag } from './tags';
export { InMemoryCheckpointStore } from './CheckpointStore';
export { PlanValidationError, executorRegistry, validatePlan } from './validatePlan';
export type { StepExecutorRegistry } from './validatePlan';
export { applyPlan, planStatus, CheckpointStoreError } from './applyPlan';
export type { ApplyPlanOptions, ApplyResult, StepResult, StepProgressEvent, StepVia } from './applyPlan';
export { buildDestroyPlan } from './destroyPlan';
export type { DestroyPlan, UnsettledStep } from './destroyPlan';
export {
  cellOfStep,
  ec2OfStep,
  stepEc2,
  createdIf,
  withFabricTags,
  undoStep,
  deleteExecutor,
} from './awsExecutors';
export type { AwsStepAccess, StepEc2 } from './awsExecutors';
