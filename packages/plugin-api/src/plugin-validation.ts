import semver from 'semver';
import { z } from 'zod';
import { PluginApiMismatchError, PluginInvalidError, PluginNameClashError, UnknownEventError } from './errors.js';
import { EVENT_NAMES, isEventName } from './events.js';
import type { Plugin } from './plugin.js';
import { PLUGIN_API_VERSION } from './version.js';

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'must be a function' });
const named = { name: z.string().min(1, 'must be a non-empty string') };
// Interval ends may be infinite (flat region (-inf, 0]); zod's number() rejects Infinity, so allow it explicitly.
const endpoint = z.union([z.number(), z.literal([Infinity, -Infinity])]);
const intervalSchema = z
  .object({ lo: endpoint, hi: endpoint, loClosed: z.boolean().optional(), hiClosed: z.boolean().optional() })
  .refine((iv) => iv.lo <= iv.hi, { message: 'lo must be <= hi' });
const activationSchema = z.object({
  ...named,
  apply: fn,
  derivative: fn,
  flatRegions: z.array(intervalSchema),
  restRegions: z.array(intervalSchema),
  unitSlope: z.boolean().optional(),
  reference: fn.optional(),
});
const metricSchema = z.object({ ...named, compute: fn, needsGradients: z.boolean().optional(), reduce: z.enum(['mean', 'sum', 'none']).optional() });
const estimatorSchema = z.object({ ...named, estimate: fn });
const regularizerSchema = z
  .object({ ...named, lossTerm: fn.optional(), weight: fn.optional(), project: fn.optional() })
  .refine((r) => r.lossTerm !== undefined || r.project !== undefined, { message: 'needs lossTerm, project, or both' });
const updateMethodSchema = z.object({ ...named, gradients: fn });
const modelSchema = z.object({
  ...named,
  dataKinds: z.array(z.enum(['image', 'text'])).min(1, 'must name at least one data kind'),
  resolve: fn,
  parse: fn,
  parameters: fn,
  activationElements: fn,
  build: fn,
  describeSize: fn.optional(),
});
const hookSchema = z.union([fn, z.object({ handler: fn, order: z.enum(['pre', 'normal', 'post']).optional() }).strict()]);

const pluginSchema = z
  .object({
    name: z
      .string()
      .regex(/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i, 'must be an npm-style name (letters, digits, - _ . and an optional @scope/)'),
    version: z.string().refine((v) => semver.valid(v) !== null, 'must be a semver version such as 1.0.0'),
    apiVersion: z.string().refine((r) => semver.validRange(r) !== null, 'must be a semver range such as ^0.1.0'),
    order: z.object({ before: z.array(z.string()).optional(), after: z.array(z.string()).optional() }).strict().optional(),
    contributes: z
      .object({
        activations: z.array(activationSchema).optional(),
        metrics: z.array(metricSchema).optional(),
        estimators: z.array(estimatorSchema).optional(),
        regularizers: z.array(regularizerSchema).optional(),
        updateMethods: z.array(updateMethodSchema).optional(),
        models: z.array(modelSchema).optional(),
      })
      .strict()
      .optional(),
    hooks: z.object(Object.fromEntries(EVENT_NAMES.map((e) => [e, hookSchema.optional()]))).optional(),
    permissions: z.object({ writeParams: z.boolean().optional(), keepTensors: z.boolean().optional() }).strict().optional(),
    setup: fn.optional(),
    saveState: fn.optional(),
    loadState: fn.optional(),
    options: z.unknown().optional(),
  })
  .strict();

/**
 * Checks that a value is a well-formed plugin whose plugin API range includes this @flatsparse/plugin-api.
 * Throws E_EVENT_UNKNOWN, E_PLUGIN_INVALID or E_PLUGIN_API_MISMATCH; returns the plugin typed.
 */
export function validatePlugin(value: unknown, source = 'the pipeline'): Plugin {
  if (typeof value !== 'object' || value === null) {
    throw new PluginInvalidError(source, 'a plugin must be an object returned by a plugin factory.', {
      received: value,
      expected: '{ name, version, apiVersion, hooks?, contributes?, setup? }',
      fix: 'call the factory (for example zerothBias({...})) instead of passing the factory itself or its module.',
    });
  }
  const named = typeof (value as { name?: unknown }).name === 'string' ? (value as { name: string }).name : undefined;
  const label = named ?? source;
  const origin = named === undefined || source === 'the pipeline' ? undefined : source;
  const hooks = (value as { hooks?: unknown }).hooks;
  if (typeof hooks === 'object' && hooks !== null) {
    for (const key of Object.keys(hooks)) if (!isEventName(key)) throw new UnknownEventError(key, EVENT_NAMES, `the hooks of plugin '${label}'${origin === undefined ? '' : ` (${origin})`}`);
  }
  const parsed = pluginSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.');
    const received = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey], value);
    throw new PluginInvalidError(label, `'${path || '(root)'}' ${issue.message}.`, {
      received: issue.code === 'unrecognized_keys' ? issue.keys : received,
      fix: issue.code === 'unrecognized_keys' ? 'remove or rename the unknown keys (see the Plugin interface in @flatsparse/plugin-api).' : 'fix that member of the plugin object (see the Plugin interface in @flatsparse/plugin-api).',
    }, origin);
  }
  const plugin = value as Plugin;
  if (!semver.satisfies(PLUGIN_API_VERSION, plugin.apiVersion)) throw new PluginApiMismatchError(plugin.name, plugin.apiVersion, PLUGIN_API_VERSION, origin);
  checkContributionNames(plugin, origin);
  return plugin;
}

/** A contribution's name: lowercase words of letters and digits joined by '-' ('j-squared-relu'). */
const CONTRIBUTION_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** 'jSquaredReLU' -> 'j-squared-re-lu', 'my_act.v2' -> 'my-act-v2': a suggestion for a name that breaks the rule. */
function kebabOf(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.length ? words.join('-') : 'my-contribution';
}

/**
 * One casing rule for every contribution (its config key and its figure prefix): kebab-case, as the
 * built-in plugins are named (a built-in's contributions carry the plugin's own name).
 */
function checkContributionNames(plugin: Plugin, origin: string | undefined): void {
  for (const [bucket, list] of Object.entries(plugin.contributes ?? {}) as [string, readonly { name: string }[] | undefined][]) {
    (list ?? []).forEach((c, i) => {
      if (CONTRIBUTION_NAME.test(c.name)) return;
      throw new PluginInvalidError(plugin.name, `'contributes.${bucket}.${i}.name' must be kebab-case: lowercase letters and digits in words joined by '-' (it names the contribution in configs and prefixes its figures).`, {
        received: c.name,
        expected: `for example '${kebabOf(c.name)}'`,
        fix: `rename it '${kebabOf(c.name)}' (plugin API 0.7 made contribution names kebab-case; see docs/writing-plugins.md section 9).`,
      }, origin);
    });
  }
}

/** Validates every plugin and checks that names are unique; `sources` names where each came from. */
export function validatePlugins(values: readonly unknown[], sources: readonly string[] = []): Plugin[] {
  const seen = new Map<string, string>();
  return values.map((value, i) => {
    const source = sources[i] ?? `plugin #${i + 1}`;
    const plugin = validatePlugin(value, source);
    const first = seen.get(plugin.name);
    if (first !== undefined) throw new PluginNameClashError(plugin.name, first, source);
    seen.set(plugin.name, source);
    return plugin;
  });
}

