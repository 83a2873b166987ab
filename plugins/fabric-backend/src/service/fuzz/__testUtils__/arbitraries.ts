import fc from 'fast-check';
import { FuzzRequest } from './fuzzBackend';

/** JSON text placed as written: numbers JSON.stringify cannot produce, deep nesting, bad tokens. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** Keys an object repeats in its JSON text before its own keys (JSON.parse keeps the last). */
const DUPLICATES = Symbol('duplicate keys');
type WithDuplicates = Record<string, unknown> & { [DUPLICATES]?: Array<[string, unknown]> };

/** Serialises like JSON.stringify, but writes RawJson as is and repeats duplicate keys. */
export function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const duplicates = (value as WithDuplicates)[DUPLICATES] ?? [];
    const entries = [...duplicates, ...Object.entries(value)];
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const codePoints = (min: number, max: number, maxLength: number) =>
  fc
    .array(
      fc.integer({ min, max }).filter(c => c < 0xd800 || c > 0xdfff),
      { maxLength },
    )
    .map(cs => String.fromCodePoint(...cs));

/** Strings a field should refuse: control characters, unicode, very long, AZ names, injections. */
export const weirdString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  codePoints(0, 0x1f, 20),
  codePoints(0, 0x10ffff, 30),
  fc.constantFrom(
    '',
    ' ',
    'us-east-1a',
    'us-west-2b',
    'use1-az4 ',
    'USE1-AZ4',
    '../../etc/passwd',
    "'; DROP TABLE fabric_plans; --",
    '<script>alert(1)</script>',
    '${jndi:ldap://x}',
    '__proto__',
    'constructor',
    '\u0000',
    '\u202e',
    'NaN',
    '1e999',
    'null',
  ),
  fc
    .tuple(fc.constantFrom('x', 'é', '\u0007', 'a/'), fc.integer({ min: 100, max: 100_000 }))
    .map(([s, n]) => s.repeat(n)),
);

/** Numbers no field should take: huge, negative, fractional, non-finite (written raw), out of range. */
export const weirdNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    -1,
    0,
    -0,
    0.5,
    1.5,
    65,
    4097,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    5e-324,
    new RawJson('1e999'),
    new RawJson('-1e999'),
    new RawJson('1e-400'),
    new RawJson('123456789012345678901234567890'),
    new RawJson('NaN'),
    new RawJson('Infinity'),
    new RawJson('0x10'),
    new RawJson('01'),
  ),
);

/** Nesting deeper than anything reads, written as text so generating it costs nothing. */
export const deepNesting: fc.Arbitrary<RawJson> = fc
  .tuple(fc.integer({ min: 20, max: 5000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? new RawJson(`${'['.repeat(depth)}${']'.repeat(depth)}`)
      : new RawJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  );

/** Any value a field might wrongly receive. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: weirdString, weight: 4 },
  { arbitrary: weirdNumber, weight: 4 },
  { arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { '': 1 }), weight: 2 },
  { arbitrary: fc.array(fc.oneof(weirdString, weirdNumber), { maxLength: 5 }), weight: 2 },
  {
    arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(weirdString, weirdNumber), { maxKeys: 3 }),
    weight: 1,
  },
  { arbitrary: deepNesting, weight: 1 },
);

/** One change to a valid body: a field gets a wrong value, disappears, or gains an unknown sibling. */
interface Mutation {
  op: 'replace' | 'delete' | 'unknown-key' | 'duplicate-key';
  at: number;
  value: unknown;
  key: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom<Mutation['op']>('replace', 'replace', 'replace', 'delete', 'unknown-key', 'duplicate-key'),
  at: fc.nat(),
  value: weirdValue,
  key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'unknownField')),
});

/** Every object and array in a value with the path to it, the root first. */
function containers(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object' || value instanceof RawJson) return [];
  const inner = Object.entries(value).flatMap(([k, v]) =>
    containers(v, [...path, Array.isArray(value) ? Number(k) : k]),
  );
  return [path, ...inner];
}

function at(value: any, path: Array<string | number>): any {
  return path.reduce((v, k) => v[k], value);
}

/** Applies the mutations to a copy of the body. */
export function mutate(body: unknown, mutations: Mutation[]): unknown {
  const copy = structuredCloneKeepingRaw(body);
  for (const m of mutations) {
    const places = containers(copy);
    if (!places.length) break;
    const target = at(copy, places[m.at % places.length]);
    const keys = Object.keys(target);
    // Generated values are shared between cases: insert a copy, never the value itself.
    const value = structuredCloneKeepingRaw(m.value);
    if (Array.isArray(target)) {
      const index = target.length ? m.at % target.length : 0;
      if (m.op === 'delete') target.splice(index, 1);
      else target[index] = value;
      continue;
    }
    const key = keys.length ? keys[m.at % keys.length] : m.key;
    // Defined, not assigned: a key such as __proto__ must be an own field, not the prototype.
    const define = (name: string) =>
      Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
    if (m.op === 'replace') define(key);
    else if (m.op === 'delete') delete target[key];
    else if (m.op === 'unknown-key') define(m.key);
    else {
      // The first of the two is the wrong one; JSON.parse keeps the valid last value.
      (target as WithDuplicates)[DUPLICATES] = [[key, value]];
    }
  }
  return copy;
}

function structuredCloneKeepingRaw(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof RawJson) return value;
  if (Array.isArray(value)) return value.map(structuredCloneKeepingRaw);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneKeepingRaw(v)]));
}

/** A raw body and the content type it is sent with. */
export interface RawBody {
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

const CONTENT_TYPES = fc.constantFrom(
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/jsonx',
  '',
  'application/json;;;',
);

/**
 * Bodies for a route that takes JSON: mostly a valid body mutated, then malformed JSON,
 * other content types, other encodings, non-objects, and now and then a body over 1 MB.
 */
export function bodies(valid: unknown[]): fc.Arbitrary<RawBody> {
  const base = fc.constantFrom(...valid);
  const mutated = fc
    .tuple(base, fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([b, ms]) => ({ body: jsonText(mutate(b, ms)), contentType: 'application/json' }));
  const malformed = fc.oneof(
    fc.tuple(base, fc.nat()).map(([b, n]) => {
      const text = JSON.stringify(b);
      return text.slice(0, n % text.length);
    }),
    base.map(b => JSON.stringify(b).replace(/"/g, "'")),
    base.map(b => `${JSON.stringify(b).slice(0, -1)},}`),
    fc.string({ maxLength: 60 }),
    fc.constantFrom('NaN', 'undefined', '{"a":1}{"b":2}', '\uFEFF{}', '{"a":\u0000}', '{"a":"\u0001"}', '[', '{', '}'),
  );
  return fc.oneof(
    { arbitrary: mutated, weight: 14 },
    { arbitrary: malformed.map(body => ({ body, contentType: 'application/json' })), weight: 3 },
    {
      arbitrary: fc.tuple(base, CONTENT_TYPES).map(([b, contentType]) => ({ body: JSON.stringify(b), contentType })),
      weight: 2,
    },
    {
      arbitrary: fc.tuple(base, fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'bogus')).map(([b, encoding]) => ({
        body: JSON.stringify(b),
        contentType: 'application/json',
        headers: { 'Content-Encoding': encoding },
      })),
      weight: 1,
    },
    {
      arbitrary: fc
        .oneof(weirdValue, fc.constantFrom<unknown>(null, 0, 'x', true, [], [{}]))
        .filter(v => v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof RawJson)
        .map(v => ({ body: jsonText(v), contentType: 'application/json' })),
      weight: 2,
    },
    { arbitrary: fc.constant({ body: undefined, contentType: undefined }), weight: 1 },
    {
      arbitrary: fc.integer({ min: 1_048_577, max: 1_300_000 }).map(n => ({
        body: `{"pad":"${'x'.repeat(n)}"}`,
        contentType: 'application/json',
      })),
      weight: 1,
    },
  );
}

/** Encodes a path segment; a string encodeURIComponent cannot take is sent percent-garbled instead. */
export function segment(id: string): string {
  try {
    return encodeURIComponent(id);
  } catch {
    return '%E0%A4%A';
  }
}

/** Path ids: real ones, well-formed unknown ones, and anything else. */
export function pathIds(known: string[], wellFormed: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: known.length ? fc.constantFrom(...known).map(segment) : wellFormed.map(segment), weight: 1 },
    { arbitrary: wellFormed.map(segment), weight: 2 },
    { arbitrary: fc.uuid().map(id => id.toUpperCase()), weight: 1 },
    { arbitrary: weirdString.filter(s => s.length < 5000).map(segment), weight: 4 },
    {
      arbitrary: fc.constantFrom(
        '%',
        '%zz',
        '%E0%A4%A',
        '%00',
        '%2F',
        '..',
        '.',
        '%2e%2e',
        ';',
        'a;b=c',
        '%C0%AF',
        '~',
        "'",
      ),
      weight: 2,
    },
  );
}

/** Query strings over a route's parameters: their values, wrong values, arrays, objects, unknown keys. */
export function queryStrings(params: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const names = Object.keys(params);
  const enc = (s: string) => segment(s);
  const known = names.length
    ? fc.constantFrom(...names).chain(name =>
        fc.oneof(
          { arbitrary: params[name].map(v => `${name}=${enc(v)}`), weight: 3 },
          { arbitrary: weirdString.filter(s => s.length < 3000).map(v => `${name}=${enc(v)}`), weight: 3 },
          {
            arbitrary: fc.tuple(params[name], params[name]).map(([a, b]) => `${name}=${enc(a)}&${name}=${enc(b)}`),
            weight: 1,
          },
          { arbitrary: params[name].map(v => `${name}[]=${enc(v)}`), weight: 1 },
          { arbitrary: fc.string({ maxLength: 6 }).map(k => `${name}[${enc(k)}]=1`), weight: 1 },
          { arbitrary: fc.constant(`${name}`), weight: 1 },
        ),
      )
    : fc.constant('');
  const unknown = fc.oneof(
    fc
      .tuple(
        fc.string({ maxLength: 10 }),
        weirdString.filter(s => s.length < 200),
      )
      .map(([k, v]) => `${enc(k)}=${enc(v)}`),
    fc.constantFrom(
      '__proto__[x]=1',
      'constructor[prototype][x]=1',
      '%zz=%zz',
      'a[b][c][d][e][f][g]=1',
      '=',
      '&&',
      'a=%',
    ),
  );
  return fc
    .array(fc.oneof({ arbitrary: known, weight: 4 }, { arbitrary: unknown, weight: 1 }), { maxLength: 4 })
    .map(parts => parts.filter(p => p).join('&'));
}

/** A request with the body sent as written. */
export function withBody(method: FuzzRequest['method'], path: string, raw: RawBody): FuzzRequest {
  return { method, path, body: raw.body, contentType: raw.contentType, headers: raw.headers };
}
