import { ConfigError, explainIssue } from '@flatsparse/core';
import type { z } from 'zod';

/** Joins a key path for messages: a prefix such as 'data', then the zod path with '.' between keys. */
export function joinPath(prefix: string, keys: readonly PropertyKey[]): string {
  return [prefix, ...keys.map(String)].filter((part) => part !== '').join('.');
}

/**
 * Parses user options with a zod schema, or throws a ConfigError whose `path` names the offending key
 * (prefixed with `prefix`, for example 'data.seqLen'), with the received value and what was expected.
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, prefix: string, fix: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    throw new ConfigError(joinPath(prefix, [...issue.path, key]), `unknown option '${key}'.`, {
      received: issue.keys,
      expected: `one of the documented options (${knownKeys(schema, issue.path).join(', ') || 'see the README'})`,
      fix: `remove or rename '${key}'. ${fix}`,
    });
  }
  const received = issue.path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined), value);
  const explained = explainIssue(schema, issue, received, value);
  throw new ConfigError(joinPath(prefix, issue.path), `${explained.message}.`, {
    received: describeReceived(received),
    ...(explained.expected === undefined ? {} : { expected: explained.expected }),
    fix: explained.hint === undefined ? fix : `${explained.hint} ${fix}`,
  });
}

/** Big typed arrays are summarised instead of printed. */
function describeReceived(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of ${(value as unknown as { length: number }).length} values`;
  return value;
}

/** Keys an object schema accepts at a (top-level) path, for the 'unknown option' message. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  if (path.length > 0) return [];
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape === undefined ? [] : Object.keys(shape);
}
