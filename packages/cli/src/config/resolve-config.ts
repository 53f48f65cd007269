import { ConfigError, PluginNameClashError, lrSchedule, type Backend, type LrScheduleOptions, type ModelSpec, type PipelineSpec, type Plugin, type TrainSettings } from '@flatsparse/core';
import { datasetFromConfig } from '@flatsparse/data';
import { builtinPlugins, createBuiltinPlugin } from '@flatsparse/plugins';
import type { PipelineConfig, PluginRef } from './config-schema.js';

/** Options the command line adds on top of a config. */
export interface ResolveOptions {
  readonly backends: readonly Backend[];
  readonly runDir?: string;
  readonly resumeFrom?: string;
}

/**
 * Turns a validated config into a pipeline: every named plugin is created from the catalog (its
 * options validated by its factory), the activation and metrics are looked up by the names of what
 * those plugins contribute, the data set becomes a loader, and the train section becomes trainer
 * settings. Errors point at the config key.
 */
export function resolveConfig(config: PipelineConfig, options: ResolveOptions): PipelineSpec {
  const plugins: Plugin[] = [];
  const sources: string[] = [];
  const add = (ref: PluginRef, path: string, kind?: string): string => {
    const name = typeof ref === 'string' ? ref : ref.name;
    const entry = builtinPlugins.get(name);
    if (entry && kind && entry.kind !== kind) {
      throw new ConfigError(path, `'${name}' is a ${entry.kind} plugin, not a ${kind}.`, {
        received: name,
        expected: `one of ${[...builtinPlugins].filter(([, e]) => e.kind === kind).map(([n]) => n).join(', ')}`,
        fix: `move '${name}' to the section for ${entry.kind}s, or name a ${kind} here.`,
      });
    }
    const plugin = withPath(path, () => createBuiltinPlugin(name, typeof ref === 'string' ? undefined : ref.options, path));
    const clash = plugins.findIndex((p) => p.name === plugin.name);
    if (clash >= 0) throw new PluginNameClashError(plugin.name, sources[clash]!, path);
    plugins.push(plugin);
    sources.push(path);
    return entry!.contribution;
  };
  const activation = add(config.activation, 'activation', 'activation');
  const metrics = config.metrics.map((ref, i) => add(ref, `metrics.${i}`, 'metric'));
  config.regularizers.forEach((ref, i) => add(ref, `regularizers.${i}`, 'regularizer'));
  config.plugins.forEach((ref, i) => add(ref, `plugins.${i}`));

  const { kind, ...modelConfig } = config.model;
  const train = trainSettings(config.train);
  return {
    name: config.name,
    seed: config.seed,
    backends: options.backends,
    backend: config.backend,
    plugins,
    pluginSources: sources,
    dataset: () => datasetFromConfig(config.data, 'data'),
    model: { kind, config: modelConfig } as unknown as ModelSpec,
    activation,
    metrics,
    train,
    runDir: options.runDir,
    resumeFrom: options.resumeFrom,
    initWeights: config.init?.weights,
    config,
  };
}

function trainSettings(train: PipelineConfig['train']): TrainSettings {
  const { optimizer, lr, ...rest } = train;
  if (typeof lr !== 'number') withPath('train.lr', () => lrSchedule(lr as LrScheduleOptions, train.steps), 'lr');
  return {
    ...rest,
    lr: lr as TrainSettings['lr'],
    optimizer: {
      ...optimizer,
      noDecay: optimizer.noDecay === undefined ? undefined : optimizer.noDecay === null ? null : new RegExp(optimizer.noDecay),
      groups: optimizer.groups?.map((g) => ({ ...g, match: typeof g.match === 'string' ? new RegExp(g.match) : g.match })),
    },
  };
}

/** Runs `fn`; a ConfigError it throws is re-thrown with its path moved under `path`. */
function withPath<T>(path: string, fn: () => T, replacePrefix?: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError && replacePrefix !== undefined && (err.path === replacePrefix || err.path.startsWith(`${replacePrefix}.`))) {
      throw err.at(`${path}${err.path.slice(replacePrefix.length)}`);
    }
    throw err;
  }
}
