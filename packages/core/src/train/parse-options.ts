import type { z } from 'zod';
import { explainIssue } from '../config-issues.js';
import { ConfigError } from '../errors.js';

/**
 * Parses user options with a zod schema, or throws a ConfigError whose path names the offending key
 * (prefixed, for example 'trainer.lr.warmupSteps'), with the received value and what was expected: the
 * accepted forms of a union, the valid names of an enum or a discriminated union (never zod's bare
 * "Invalid input"; see explainIssue).
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, prefix: string, fix: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const keys = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  const path = [prefix, ...keys.map(String)].filter((part) => part !== '').join('.');
  const received = issue.path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined), value);
  if (issue.code === 'unrecognized_keys') {
    throw new ConfigError(path, `unknown option '${issue.keys[0] ?? ''}'.`, { received: issue.keys, fix: `remove or rename it. ${fix}` });
  }
  const explained = explainIssue(schema, issue, received, value);
  throw new ConfigError(path, `${explained.message}.`, {
    received: summarise(received),
    ...(explained.expected === undefined ? {} : { expected: explained.expected }),
    fix: explained.hint === undefined ? fix : `${explained.hint} ${fix}`,
  });
}

/** Big typed arrays and objects holding tensors are summarised instead of printed. */
function summarise(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of ${(value as unknown as { length: number }).length} values`;
  return value;
}
