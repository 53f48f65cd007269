import type { z } from 'zod';
import { closestName, describeSchema, explainIssue, keysAt } from './config-issues.js';
import { ConfigError, PluginInvalidError } from './errors.js';

/**
 * Whose options are parsed: a plugin's (errors are E_PLUGIN_INVALID naming the plugin and the option)
 * or a config section's (E_CONFIG_INVALID naming the key path, for example 'train.lr.warmupSteps').
 */
export type OptionsOwner =
  | { readonly plugin: string; readonly fix?: string }
  | { readonly path: string; readonly fix: string };

/**
 * Parses options with a zod schema (undefined counts as {} for a plugin), or throws a coded error
 * naming the offending option with the received value and what the schema accepts: the accepted forms
 * of a union, the valid names of an enum or a discriminated union, bounds of a number (never zod's bare
 * "Invalid input"; see explainIssue). What a plugin accepts is written from its schema (describeSchema),
 * so no hand-written description can drift from it.
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, owner: OptionsOwner): z.output<S> {
  const input = 'plugin' in owner ? (value ?? {}) : value;
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const received = issue.path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);
  if ('plugin' in owner) {
    const plugin = owner.plugin;
    const expected = describeSchema(schema);
    const card = owner.fix ?? `see the card of '${plugin}'.`;
    if (issue.code === 'unrecognized_keys') {
      throw new PluginInvalidError(plugin, `unknown option(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}.`, {
        received: issue.keys,
        expected,
        fix: `remove or rename the unknown option(s); '${plugin}' accepts ${expected} (${card})`,
      });
    }
    const path = issue.path.map(String).join('.');
    const where = path ? `option '${path}'` : 'options';
    const explained = explainIssue(schema, issue, received, input);
    throw new PluginInvalidError(plugin, `${where}: ${explained.message}${explained.expected === undefined ? '' : ` (accepted: ${explained.expected})`}.${explained.hint === undefined ? '' : ` Hint: ${explained.hint}`}`, {
      received: summarise(received),
      expected,
      fix: `change ${where} to match ${expected} (${card})`,
    });
  }
  const keys = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  const path = [owner.path, ...keys.map(String)].filter((part) => part !== '').join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const known = knownKeys(schema, issue.path, input);
    throw new ConfigError(path, `unknown option '${key}'.`, {
      received: issue.keys,
      expected: `one of the documented options (${known.join(', ') || 'see the docs'})`,
      fix: `remove or rename '${key}'.${closestName(key, known) === undefined ? '' : ` Did you mean '${closestName(key, known)}'?`} ${owner.fix}`,
    });
  }
  const explained = explainIssue(schema, issue, received, input);
  throw new ConfigError(path, `${explained.message}.`, {
    received: summarise(received),
    ...(explained.expected === undefined ? {} : { expected: explained.expected }),
    fix: explained.hint === undefined ? owner.fix : `${explained.hint} ${owner.fix}`,
  });
}

/** Keys the object schema at `path` accepts, for the 'unknown option' message. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[], value: unknown): string[] {
  return keysAt(schema, path, value);
}

/** Big typed arrays and objects holding tensors are summarised instead of printed. */
function summarise(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of ${(value as unknown as { length: number }).length} values`;
  return value;
}

/** True when `source` compiles as a JavaScript regular expression (for options that name parameters by pattern). */
export function isRegExpSource(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
