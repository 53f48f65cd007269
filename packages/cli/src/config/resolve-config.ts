import {
  loadPlugin,
  upgradeName,
  type EstimatorSchedule,
  type PipelineSpec,
  type TrainSettings,
} from '@flatsparse/core';
import { ConfigError, type Backend, type Plugin } from '@flatsparse/plugin-api';
import { PluginNameClashError } from '@flatsparse/plugin-api/host';
import { datasetFromConfig } from '@flatsparse/data';
import { builtinPlugins, createBuiltinPlugin, type BuiltinPluginKind } from '@flatsparse/plugins';
import { resolve } from 'node:path';
import type { PipelineConfig, PluginRef } from './config-schema.js';

/** Options the command line adds on top of a config. */
export interface ResolveOptions {
  readonly backends: readonly Backend[];
  readonly runDir?: string;
  readonly resumeFrom?: string;
  /**
   * Directory that third-party plugins under `plugins:` are resolved from: the config file's own
   * directory (default: the working directory). Relative paths are relative to it, and packages are
   * looked up in its node_modules and those of its parents.
   */
  readonly configDir?: string;
}

/** A plugin of the pipeline and where the config names it (for example 'plugins.0 (flatsparse-plugin-x@1.0.0)'). */
interface Placed {
  readonly plugin: Plugin;
  readonly label: string;
}

/**
 * Turns a validated config into a pipeline. Entries of `plugins:` that name a built-in are created
 * from the catalog; any other is loaded by package name or path (`loadPlugin`, relative to
 * `configDir`), and checked: factory, options, API range. `activation` and `metrics` name a built-in
 * plugin (created here) or an activation / metric contributed by a plugin under `plugins:` (which
 * takes precedence).
 * Regularizers and update methods are listed under `plugins:` like any other plugin (built-in or
 * not): listing a plugin activates everything it contributes. Plugin names must be unique; the data set becomes a loader and the train section trainer settings. Everything is checked
 * before any backend starts or data loads; errors point at the config key.
 */
export async function resolveConfig(config: PipelineConfig, options: ResolveOptions): Promise<PipelineSpec> {
  const from = resolve(options.configDir ?? '.');
  const listed: Placed[] = [];
  for (const [i, ref] of config.plugins.entries()) {
    const path = `plugins.${i}`;
    const { name, options: pluginOptions } = parts(ref);
    if (builtinPlugins.has(name)) listed.push({ plugin: createBuiltinPlugin(name, pluginOptions, path), label: path });
    else listed.push(await loadPlugin(name, { from, options: pluginOptions, source: path }));
  }
  const contributed = {
    activation: new Set(listed.flatMap((p) => p.plugin.contributes?.activations?.map((a) => a.name) ?? [])),
    metric: new Set(listed.flatMap((p) => p.plugin.contributes?.metrics?.map((m) => m.name) ?? [])),
    estimator: new Set(listed.flatMap((p) => p.plugin.contributes?.estimators?.map((e) => e.name) ?? [])),
  };

  const placed: Placed[] = [];
  const named = (ref: PluginRef, path: string, kind: BuiltinPluginKind, contributions?: ReadonlySet<string>): string => {
    const { name: given, options: pluginOptions } = parts(ref);
    // A config of flatsparse 0.2 (a run's config.json) may name a contribution by its old camelCase name.
    const name = contributions?.has(given) || builtinPlugins.has(given) ? given : upgradeName(given);
    if (contributions?.has(name)) {
      if (pluginOptions !== undefined) {
        throw new ConfigError(path, `'${name}' is a ${kind} contributed by a plugin under 'plugins', so it takes no options here.`, {
          received: pluginOptions,
          fix: `give the options to the plugin that contributes '${name}', under 'plugins'.`,
        });
      }
      return name;
    }
    const entry = builtinPlugins.get(name);
    if (!entry) throw unknownName(path, name, kind, contributions);
    if (entry.kind !== kind) {
      throw new ConfigError(path, `'${name}' is a ${entry.kind} plugin, not a ${kind}.`, {
        received: name,
        expected: `one of ${builtinNames(kind).join(', ')}`,
        fix: `move '${name}' to '${SECTIONS[entry.kind] ?? 'plugins'}', or name a ${kind} here.`,
      });
    }
    placed.push({ plugin: createBuiltinPlugin(name, pluginOptions, path), label: path });
    return name; // a built-in's contribution goes by the plugin's name
  };
  const activation = named(config.activation, 'activation', 'activation', contributed.activation);
  const metrics = config.metrics.map((ref, i) => named(ref, `metrics.${i}`, 'metric', contributed.metric));
  const estimators = config.estimators.map((ref, i): EstimatorSchedule => {
    const name = named(typeof ref === 'string' ? ref : { name: ref.name, options: ref.options }, `estimators.${i}`, 'estimator', contributed.estimator);
    return typeof ref === 'string' ? { name } : { name, every: ref.every, atEnd: ref.atEnd, atStart: ref.atStart, atCheckpoints: ref.atCheckpoints };
  });
  placed.push(...listed);
  placed.forEach(({ plugin, label }, i) => {
    const first = placed.findIndex((p) => p.plugin.name === plugin.name);
    if (first < i) throw new PluginNameClashError(plugin.name, placed[first]!.label, label);
  });

  const { kind, ...modelConfig } = config.model;
  return {
    name: config.name,
    seed: config.seed,
    backends: options.backends,
    backend: config.backend,
    plugins: placed.map((p) => p.plugin),
    pluginSources: placed.map((p) => p.label),
    dataset: () => datasetFromConfig(config.data, 'data'),
    model: { kind, config: modelConfig },
    activation,
    metrics,
    estimators,
    flatness: config.flatness,
    // The train section was checked against the engine's own schema (trainSettingsSchema): passed as it is.
    train: config.train as TrainSettings,
    runDir: options.runDir,
    resumeFrom: options.resumeFrom,
    initWeights: config.init?.weights,
    // Stored as config.json: plugin paths made absolute, so `flatsparse eval <run-dir>` finds them.
    config: { ...config, plugins: config.plugins.map((ref) => absolutePluginPath(ref, from)) },
  };
}

/** The config key where a built-in plugin of each kind is named ('plugins' for the others). */
const SECTIONS: Readonly<Partial<Record<BuiltinPluginKind, string>>> = { activation: 'activation', metric: 'metrics', estimator: 'estimators' };

function parts(ref: PluginRef): { name: string; options: Record<string, unknown> | undefined } {
  return typeof ref === 'string' ? { name: ref, options: undefined } : { name: ref.name, options: ref.options };
}

function builtinNames(kind: BuiltinPluginKind): string[] {
  return [...builtinPlugins].filter(([, e]) => e.kind === kind).map(([n]) => n);
}

/** A name that is neither a built-in nor (where the key accepts them) a contribution of a listed plugin. */
function unknownName(path: string, name: string, kind: BuiltinPluginKind, contributions: ReadonlySet<string> | undefined): ConfigError {
  const builtins = `built-in ${kind} plugins: ${builtinNames(kind).join(', ')}`;
  if (contributions === undefined) {
    return new ConfigError(path, `'${name}' is not a built-in ${kind} plugin.`, {
      received: name,
      expected: `one of the ${builtins}`,
      fix: `check the spelling; a third-party ${kind} is active as soon as its plugin is listed under 'plugins'.`,
    });
  }
  return new ConfigError(path, `'${name}' is neither a built-in ${kind} plugin nor a ${kind} contributed by a plugin under 'plugins'.`, {
    received: name,
    expected: `one of the ${builtins}; or of the ${kind}s contributed under 'plugins': ${contributions.size ? [...contributions].sort().join(', ') : 'none'}`,
    fix: `check the spelling; for a third-party ${kind}, list its package under 'plugins' and name the ${kind} it contributes here.`,
  });
}

/** A relative plugin path ('./x.js', '../x.js') made absolute against `from`; package names and built-ins unchanged. */
function absolutePluginPath(ref: PluginRef, from: string): PluginRef {
  const { name } = parts(ref);
  if (!/^\.\.?([\\/]|$)/.test(name)) return ref;
  return typeof ref === 'string' ? resolve(from, name) : { ...ref, name: resolve(from, name) };
}
