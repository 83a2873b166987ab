import { JsonValue, StepOutput, StepOutputRef } from './types';

const OUTPUT_SEPARATOR = '.output';

/** A `{ $ref: '<stepKey>.output.<path>' }` object (exactly that one property). */
export function isStepOutputRef(value: unknown): value is StepOutputRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { $ref?: unknown }).$ref === 'string'
  );
}

/** Builds a reference to an earlier step's output field. */
export function outputRef(stepKey: string, path: string): StepOutputRef {
  return { $ref: `${stepKey}${OUTPUT_SEPARATOR}.${path}` };
}

/** Splits `<stepKey>.output.<a>.<b>` into the key and the path (`[]` for the whole output). */
export function parseOutputRef(ref: string): { stepKey: string; path: string[] } {
  const at = ref.indexOf(`${OUTPUT_SEPARATOR}.`);
  if (at > 0) {
    const path = ref.slice(at + OUTPUT_SEPARATOR.length + 1).split('.');
    if (path.every(segment => segment.length > 0)) return { stepKey: ref.slice(0, at), path };
  } else if (ref.endsWith(OUTPUT_SEPARATOR) && ref.length > OUTPUT_SEPARATOR.length) {
    return { stepKey: ref.slice(0, -OUTPUT_SEPARATOR.length), path: [] };
  }
  throw new Error(`Malformed $ref '${ref}': expected '<stepKey>.output.<field>'`);
}

/** Every step key the value's `$ref`s point at. */
export function referencedStepKeys(value: JsonValue | undefined): string[] {
  const keys = new Set<string>();
  const visit = (v: unknown): void => {
    if (isStepOutputRef(v)) {
      keys.add(parseOutputRef(v.$ref).stepKey);
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (typeof v === 'object' && v !== null) {
      Object.values(v).forEach(visit);
    }
  };
  visit(value);
  return [...keys];
}

/**
 * Replaces every `$ref` in `value` by the referenced output. A reference to a step with no
 * output yet, or to a field the output lacks, is an error naming both: applying a step
 * with a hole in its input would create the wrong thing.
 */
export function resolveRefs<T = JsonValue>(
  value: JsonValue,
  outputOf: (stepKey: string) => StepOutput | undefined,
): T {
  const resolve = (v: JsonValue): JsonValue => {
    if (isStepOutputRef(v)) {
      const { stepKey, path } = parseOutputRef(v.$ref);
      const output = outputOf(stepKey);
      if (output === undefined) {
        throw new Error(`$ref '${v.$ref}' points at step '${stepKey}', which has no output yet`);
      }
      let current: unknown = output;
      for (const segment of path) {
        current =
          typeof current === 'object' && current !== null
            ? (current as Record<string, unknown>)[segment]
            : undefined;
        if (current === undefined) {
          throw new Error(`$ref '${v.$ref}': the output of step '${stepKey}' has no '${path.join('.')}'`);
        }
      }
      return current as JsonValue;
    }
    if (Array.isArray(v)) return v.map(resolve);
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, resolve(item)]));
    }
    return v;
  };
  return resolve(value) as T;
}
