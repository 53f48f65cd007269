import { PLUGIN_API_VERSION, ConfigError } from '@flatsparse/plugin-api';
import { PluginInvalidError, validatePlugin, validatePlugins } from '@flatsparse/plugin-api/host';
import { describe, expect, it } from 'vitest';
import { builtinPlugins, createBuiltinPlugin } from './catalog.js';
import { BUILTIN_PLUGIN_VERSION } from './plugin-meta.js';

const KIND_TO_KEY = { activation: 'activations', metric: 'metrics', regularizer: 'regularizers', estimator: 'estimators', 'update-method': 'updateMethods' } as const;

describe('builtinPlugins catalog', () => {
  it('has a card for every built-in: a README or card under packages/plugins/src naming it in backticks', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const src = new URL('.', import.meta.url).pathname;
    const docs: string[] = [];
    for (const entry of await readdir(src, { recursive: true })) if (String(entry).endsWith('.md')) docs.push(await readFile(join(src, String(entry)), 'utf8'));
    const text = docs.join('\n');
    expect(builtinPlugins.size).toBeGreaterThan(20);
    for (const name of builtinPlugins.keys()) expect(text.includes(`\`${name}\``) || text.includes(`# ${name}`), name).toBe(true);
  });

  it.each([...builtinPlugins.entries()])("'%s' builds a valid plugin named after its entry, contributing its kind under the same one name", (name, entry) => {
    const plugin = validatePlugin(entry.factory(entry.testOptions));
    expect(plugin.name).toBe(name);
    expect(plugin.version).toBe(BUILTIN_PLUGIN_VERSION);
    expect(plugin.apiVersion).toBe(`^${PLUGIN_API_VERSION}`);
    const key = KIND_TO_KEY[entry.kind];
    const contributes = plugin.contributes ?? {};
    if (key === undefined) {
      expect(Object.keys(contributes)).toEqual([]);
    } else {
      const contributed: readonly { name: string }[] = contributes[key] ?? [];
      // One name: the config key, the plugin's name and the contribution's (the prefix of its figures).
      expect(contributed.map((c) => c.name)).toEqual([name]);
      // Anything else it contributes (a method's diagnostic metric) goes by the same name.
      for (const [other, list] of Object.entries(contributes)) expect((list as { name: string }[]).map((c) => c.name), other).toEqual([name]);
    }
    expect(entry.description.length).toBeGreaterThan(10);
  });

  it('all plugins can share one pipeline (unique names)', () => {
    const plugins = [...builtinPlugins.entries()].map(([, entry]) => entry.factory(entry.testOptions));
    expect(validatePlugins(plugins)).toHaveLength(builtinPlugins.size);
  });

  it('createBuiltinPlugin creates by name and rejects unknown names with E_CONFIG_INVALID', () => {
    expect(createBuiltinPlugin('shifted-relu', { sx: 1.6, sy: -1.6 }).name).toBe('shifted-relu');
    const err = (() => {
      try {
        createBuiltinPlugin('reluu', {}, 'plugins[2].name');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('E_CONFIG_INVALID');
    expect((err as ConfigError).path).toBe('plugins[2].name');
    expect((err as Error).message).toContain("'reluu'");
    expect((err as Error).message).toContain('one of relu, gelu');
  });
});

describe('option validation at the factory boundary', () => {
  const bad: readonly [string, unknown, string][] = [
    ['relu', { slope: 0.1 }, 'slope'],
    ['gelu', { approximate: 'fast' }, 'approximate'],
    ['shifted-relu', { sx: '1.6' }, 'sx'],
    ['s-shaped-squared-relu', { sy: Number.NaN }, 'sy'],
    ['activation-sparsity', { threshold: -1 }, 'threshold'],
    ['dead-neurons', { threshold: 'small' }, 'threshold'],
    ['topk-sparsity', { mass: 0 }, 'mass'],
    ['topk-sparsity', { mass: 1.5 }, 'mass'],
    ['augmented-flatness', { samples: 3 }, 'samples'],
    ['l1-activation', {}, 'weight'],
    ['zeroth-bias', { c: 0 }, 'c'],
    ['zeroth-bias', { placement: 'middle' }, 'placement'],
    ['restricted-layer-norm', { rampSteps: -10 }, 'rampSteps'],
    ['j-squared-relu', { bounded: 'yes' }, 'bounded'],
    ['sam', { rho: 0 }, 'rho'],
    ['sam', { every: 1.5 }, 'every'],
    ['sam', { params: '(' }, 'params'],
    ['l1-activation', { weight: -1 }, 'weight'],
    ['l1-activation', { weight: 1, schedule: { kind: 'cosine' } }, 'schedule.kind'],
    ['l1-activation', { weight: 1, schedule: { kind: 'linear', steps: 0 } }, 'schedule.steps'],
    ['l1-activation', { weight: 1, schedule: { kind: 'prosparse', stages: [] } }, 'schedule.stages'],
    ['l1-activation', { weight: 1, schedule: { kind: 'prosparse', stages: [{ steps: -3, value: 1 }] } }, 'schedule.stages.0.steps'],
  ];

  it.each(bad)("'%s' rejects %j, naming '%s'", (name, options, option) => {
    let caught: unknown;
    try {
      builtinPlugins.get(name)!.factory(options);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PluginInvalidError);
    const err = caught as PluginInvalidError;
    expect(err.code).toBe('E_PLUGIN_INVALID');
    expect(err.plugin).toBe(name);
    expect(err.message).toContain(`'${option}'`);
    expect(err.fix).toBeTruthy();
  });

  it('accepts undefined options and fills defaults', () => {
    expect(() => builtinPlugins.get('topk-sparsity')!.factory(undefined)).not.toThrow();
    expect(() => builtinPlugins.get('gelu')!.factory({ approximate: 'tanh' })).not.toThrow();
  });
});
