import type { z } from 'zod';

/** The parts of a zod schema's internals these descriptions read (zod 4). */
interface Def {
  readonly type: string;
  readonly innerType?: Schema;
  readonly in?: Schema;
  readonly shape?: Record<string, Schema>;
  readonly catchall?: Schema;
  readonly element?: Schema;
  readonly items?: readonly Schema[];
  readonly options?: readonly Schema[];
  readonly discriminator?: string;
  readonly entries?: Record<string, string | number>;
  readonly values?: readonly unknown[];
  readonly valueType?: Schema;
  readonly getter?: () => Schema;
}
interface Schema {
  readonly _zod: { readonly def: Def; readonly bag?: Record<string, unknown>; readonly propValues?: Record<string, Set<unknown>> };
  readonly description?: string;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'nonoptional', 'readonly', 'catch']);

function unwrap(schema: Schema): Schema {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const def = s._zod.def;
    if (WRAPPERS.has(def.type) && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else if (def.type === 'lazy' && def.getter) s = def.getter();
    else break;
  }
  return s;
}

/** The schema that checks the value at `path` (following the value through discriminated unions), if it can be found. */
function schemaAt(root: Schema, path: readonly PropertyKey[], value: unknown): Schema | undefined {
  let s: Schema | undefined = unwrap(root);
  let v = value;
  for (const key of path) {
    s = s === undefined ? undefined : pick(s, v);
    if (s === undefined) return undefined;
    const def: Def = s._zod.def;
    const next: Schema | undefined =
      def.type === 'object' ? (def.shape?.[String(key)] ?? def.catchall) : def.type === 'array' ? def.element : def.type === 'tuple' ? def.items?.[Number(key)] : def.type === 'record' ? def.valueType : undefined;
    s = next === undefined ? undefined : unwrap(next);
    v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return s;
}

/** For a union: the option the value is meant for (by discriminator, else the first object option); anything else as is. */
function pick(s: Schema, value: unknown): Schema | undefined {
  const def = s._zod.def;
  if (def.type !== 'union') return s;
  const options = (def.options ?? []).map(unwrap);
  const tag = def.discriminator === undefined || typeof value !== 'object' || value === null ? undefined : (value as Record<string, unknown>)[def.discriminator];
  const tagged = options.find((o) => o._zod.propValues?.[def.discriminator ?? '']?.has(tag));
  return tagged ?? options.find((o) => o._zod.def.type === 'object');
}

/** The keys of the object schema that checks the value at `path` (empty when it is not an object). */
export function keysAt(root: z.ZodType, path: readonly PropertyKey[], value: unknown): string[] {
  const at = schemaAt(root as unknown as Schema, path, value);
  const picked = at === undefined ? undefined : pick(at, path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined), value));
  return picked?._zod.def.type === 'object' ? Object.keys(picked._zod.def.shape ?? {}) : [];
}

/** A short description of what a schema accepts: 'a number >= 0', "one of 'a', 'b'", 'an object { kind, lr?, ... }' (its `.describe()` text when it has one). */
export function describeSchema(schema: z.ZodType): string {
  return describe(schema as unknown as Schema, 0);
}

function describe(outer: Schema, depth: number): string {
  if (outer.description) return outer.description;
  const s = unwrap(outer);
  if (s.description) return s.description;
  const def = s._zod.def;
  const bag = s._zod.bag ?? {};
  switch (def.type) {
    case 'number': {
      const bounds = [
        typeof bag.minimum === 'number' && bag.minimum > Number.MIN_SAFE_INTEGER ? `>= ${bag.minimum}` : '',
        typeof bag.exclusiveMinimum === 'number' ? `> ${bag.exclusiveMinimum}` : '',
        typeof bag.maximum === 'number' && bag.maximum < Number.MAX_SAFE_INTEGER ? `<= ${bag.maximum}` : '',
        typeof bag.exclusiveMaximum === 'number' ? `< ${bag.exclusiveMaximum}` : '',
      ].filter(Boolean);
      return `${bag.format === 'safeint' ? 'a whole number' : 'a number'}${bounds.length ? ` ${bounds.join(' and ')}` : ''}`;
    }
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'literal':
      return (def.values ?? []).map((v) => JSON.stringify(v)).join(' or ');
    case 'enum':
      return `one of ${Object.values(def.entries ?? {}).map((v) => `'${v}'`).join(', ')}`;
    case 'array':
      return depth > 1 ? 'a list' : `a list of ${describe(def.element!, depth + 1)}`;
    case 'tuple':
      return `[${(def.items ?? []).map((i) => describe(i, depth + 1)).join(', ')}]`;
    case 'record':
      return 'an object of named values';
    case 'union':
      return (def.options ?? []).map((o) => describe(o, depth + 1)).join(', or ');
    case 'object': {
      if (depth > 1) return 'an object';
      const entries = Object.entries(def.shape ?? {});
      const keys = entries.map(([k, v]) => {
        const optional = ['optional', 'default', 'prefault'].includes(v._zod.def.type);
        const inner = unwrap(v)._zod.def;
        // At the top, each key with what it takes ({ threshold?: a number >= 0 }); deeper, names only.
        if (depth === 0 || inner.type === 'literal') return `${k}${optional ? '?' : ''}: ${describe(v, depth + 1)}`;
        return `${k}${optional ? '?' : ''}`;
      });
      const open = def.catchall !== undefined && def.catchall._zod.def.type !== 'never';
      if (depth === 0 && entries.length === 0 && !open) return 'no options ({})';
      return `${depth === 0 ? '' : 'an object '}{ ${[...keys, ...(open ? ['...'] : [])].join(', ')} }`;
    }
    default:
      return 'a value of the documented form';
  }
}

/** The closest name to `name` among `names` (for "did you mean"), if one is close. */
export function closestName(name: string, names: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const keep = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = keep;
      }
    }
    return row[b.length]!;
  };
  const best = names.map((n) => ({ n, d: distance(name.toLowerCase(), n.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
  return best !== undefined && best.d <= Math.max(2, Math.floor(best.n.length / 3)) ? best.n : undefined;
}

/**
 * What a zod issue means for a user, instead of zod's bare "Invalid input": for a union, the accepted
 * forms; for a discriminated union, enum or literal, the valid names (with the closest one); for a
 * wrong type, the type expected. `hint` is a concrete fix when one is obvious (a number written as a
 * string).
 */
export function explainIssue(root: z.ZodType, issue: z.core.$ZodIssue, received: unknown, value: unknown): { readonly message: string; readonly expected?: string; readonly hint?: string } {
  const numeric = typeof received === 'string' && received.trim() !== '' && Number.isFinite(Number(received));
  const hint = numeric ? `write the number without quotes: ${Number(received)}.` : undefined;
  const names = (list: readonly unknown[]) => {
    const close = typeof received === 'string' ? closestName(received, list.map(String)) : undefined;
    return { expected: `one of ${list.map((v) => `'${String(v)}'`).join(', ')}`, hint: close === undefined ? undefined : `did you mean '${close}'?` };
  };
  if (issue.code === 'invalid_union') {
    const tagged = issue as unknown as { discriminator?: string; note?: string };
    if (tagged.discriminator !== undefined) {
      const union = schemaAt(root as unknown as Schema, issue.path.slice(0, -1), value);
      const values = [...(union?._zod.propValues?.[tagged.discriminator] ?? [])];
      const found = names(values);
      return { message: `unknown ${tagged.discriminator} ${JSON.stringify(received)}`, ...(values.length ? found : {}) };
    }
    const at = schemaAt(root as unknown as Schema, issue.path, value);
    const expected = at !== undefined && at._zod.def.type === 'union' ? describe(at, 0) : undefined;
    return { message: `${JSON.stringify(received)} matches none of the accepted forms`, ...(expected === undefined ? {} : { expected }), ...(hint === undefined ? {} : { hint }) };
  }
  if (issue.code === 'invalid_value') return { message: `${JSON.stringify(received)} is not a valid value`, ...names(issue.values) };
  if (issue.code === 'invalid_type') {
    const at = schemaAt(root as unknown as Schema, issue.path, value);
    const expected = at === undefined ? `a ${issue.expected}` : describe(at, 0);
    const got = received === undefined ? 'nothing (the key is missing)' : Array.isArray(received) ? 'a list' : received === null ? 'null' : `a ${typeof received}`;
    return { message: `expected ${expected}, received ${got}`, expected, ...(hint === undefined ? {} : { hint }) };
  }
  return { message: issue.message };
}
