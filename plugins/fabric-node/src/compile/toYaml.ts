/**
 * A small YAML emitter for plain JSON data (objects, arrays, strings, finite numbers,
 * booleans, null), enough for Kubernetes manifests people read and `kubectl apply`.
 * Key order is kept as given, so output is as deterministic as its input.
 *
 * Strings are written plain only when they cannot be read back as anything else;
 * otherwise they are double-quoted with JSON escapes, which YAML's double-quoted style
 * reads identically. That keeps `"true"`, `"0"`, `"222222222222.us-east-1"`, `"10%"`
 * and `"on"` strings, and YAML 1.1 readers (which treat yes/no/on/off as booleans) agree.
 */
export function toYaml(documents: unknown[]): string {
  return documents.map(doc => `---\n${emitDocument(doc)}`).join('');
}

/** One document, without the `---` separator. */
export function toYamlDocument(value: unknown): string {
  return emitDocument(value);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function emitDocument(value: unknown): string {
  const json = value as Json;
  if (isScalarLike(json)) return `${scalar(json)}\n`;
  return `${block(json, 0).join('\n')}\n`;
}

function isScalarLike(value: Json): boolean {
  if (value === null || typeof value !== 'object') return true;
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

/** Lines of a non-empty collection, indented by `indent` spaces. */
function block(value: Json, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isScalarLike(item)) {
        lines.push(`${pad}- ${scalar(item)}`);
      } else {
        // The first line of a nested collection goes on the dash line.
        const inner = block(item, indent + 2);
        lines.push(`${pad}- ${inner[0].slice(indent + 2)}`, ...inner.slice(1));
      }
    }
    return lines;
  }
  for (const [key, item] of Object.entries(value as Record<string, Json>)) {
    if (item === undefined) continue;
    if (isScalarLike(item)) {
      lines.push(`${pad}${string(key)}: ${scalar(item)}`);
    } else {
      // Sequences under a key are indented too, which every YAML reader accepts.
      lines.push(`${pad}${string(key)}:`, ...block(item, indent + 2));
    }
  }
  return lines;
}

function scalar(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return '[]';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`YAML output cannot hold ${value}`);
      return String(value);
    case 'string':
      return string(value);
    case 'object':
      return '{}';
    default:
      throw new Error(`YAML output cannot hold a ${typeof value}`);
  }
}

/** YAML 1.1 and 1.2 words that read back as booleans or null. */
const RESERVED = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/;
/** Plain strings start with a letter, `_` or `/` and hold no `:`, `#`, space or flow characters. */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./@+=-]*$/;

function string(value: string): string {
  if (PLAIN.test(value) && !RESERVED.test(value)) return value;
  // JSON escapes C0 controls; YAML also forbids raw DEL and C1 controls, so escape those too.
  return JSON.stringify(value).replace(/[\u007f-\u009f]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
