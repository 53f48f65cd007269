import { explainIssue, PluginInvalidError } from '@flatsparse/core';
import type { z } from 'zod';

/**
 * Validates a plugin's options with its zod schema at the factory boundary. `undefined` counts as
 * `{}`. On failure throws E_PLUGIN_INVALID naming the plugin, the option, the value received and what
 * the plugin accepts (`expected`, for example '{ threshold?: number >= 0 }').
 */
export function parseOptions<S extends z.ZodType>(plugin: string, schema: S, options: unknown, expected: string): z.output<S> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    throw new PluginInvalidError(plugin, `unknown option(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}.`, {
      received: issue.keys,
      expected,
      fix: `remove or rename the unknown option(s); '${plugin}' accepts ${expected}.`,
    });
  }
  const received = issue.path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined), options);
  const where = path ? `option '${path}'` : 'options';
  const explained = explainIssue(schema, issue, received, options ?? {});
  throw new PluginInvalidError(plugin, `${where}: ${explained.message}${explained.expected === undefined ? '' : ` (accepted: ${explained.expected})`}.${explained.hint === undefined ? '' : ` Hint: ${explained.hint}`}`, {
    received,
    expected,
    fix: `change ${where} to match ${expected} (see the card of '${plugin}' in @flatsparse/plugins).`,
  });
}
