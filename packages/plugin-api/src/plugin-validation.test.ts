import { describe, expect, it } from 'vitest';
import { PluginApiMismatchError, PluginInvalidError, PluginNameClashError, UnknownEventError } from './errors.js';
import { validatePlugin, validatePlugins } from './plugin-validation.js';
import { PLUGIN_API_VERSION } from './version.js';

const ok = { name: 'my-plugin', version: '1.2.3', apiVersion: '^0.7.0' };

describe('validatePlugin', () => {
  it('accepts a minimal plugin and one with hooks, order and contributions', () => {
    expect(validatePlugin(ok)).toBe(ok);
    const full = {
      ...ok,
      order: { before: ['x'], after: ['y'] },
      hooks: { afterStep: () => undefined, end: { handler: () => undefined, order: 'post' } },
      contributes: {
        regularizers: [{ name: 'r', project: () => undefined }],
        activations: [{ name: 'a', apply: () => undefined, derivative: () => undefined, flatRegions: [{ lo: -Infinity, hi: 0 }], restRegions: [{ lo: 0, hi: 0 }] }],
      },
      setup: () => undefined,
    };
    expect(validatePlugin(full)).toBe(full);
  });

  it('checks a contributed model architecture: its members are functions, its data kinds named', () => {
    const fn = () => undefined;
    const model = { name: 'my-model', dataKinds: ['text'], resolve: fn, parse: fn, parameters: fn, activationElements: fn, build: fn };
    const plugin = { ...ok, contributes: { models: [model] } };
    expect(validatePlugin(plugin)).toBe(plugin);
    expect(() => validatePlugin({ ...ok, contributes: { models: [{ ...model, build: undefined }] } })).toThrow(/contributes\.models\.0\.build/);
    expect(() => validatePlugin({ ...ok, contributes: { models: [{ ...model, dataKinds: ['audio'] }] } })).toThrow(PluginInvalidError);
    expect(() => validatePlugin({ ...ok, contributes: { models: [{ ...model, name: 'MyModel' }] } })).toThrow(/'contributes\.models\.0\.name' must be kebab-case/);
  });

  it('holds every contribution name to one casing rule, kebab-case, suggesting the kebab form', () => {
    const metric = (name: string) => ({ ...ok, contributes: { metrics: [{ name, compute: () => ({}) }] } });
    for (const name of ['value', 'dead-zone', 'hessian-trace', 'l1-activation', '2x']) expect(validatePlugin(metric(name)).contributes?.metrics?.[0]?.name).toBe(name);
    const cases: [string, string][] = [
      ['jSquaredReLU', 'j-squared-re-lu'],
      ['activationSparsity', 'activation-sparsity'],
      ['my_act.v2', 'my-act-v2'],
      ['-lead', 'lead'],
      ['trailing-', 'trailing'],
      ['double--dash', 'double-dash'],
      ['', 'my-contribution'],
    ];
    for (const [name, suggested] of cases) {
      const err = (() => {
        try {
          validatePlugin(metric(name), 'plugins.0');
        } catch (e) {
          return e;
        }
      })();
      expect(err, JSON.stringify(name)).toBeInstanceOf(PluginInvalidError);
      expect((err as PluginInvalidError).code).toBe('E_PLUGIN_INVALID');
      if (name === '') continue; // caught by the schema (a non-empty string) before the casing rule
      expect((err as Error).message).toMatch(/'contributes\.metrics\.0\.name' must be kebab-case/);
      expect((err as Error).message).toContain(`rename it '${suggested}'`);
    }
    const regularizer = { ...ok, contributes: { regularizers: [{ name: 'keyWeightL2', project: () => undefined }] } };
    expect(() => validatePlugin(regularizer)).toThrow(/'contributes\.regularizers\.0\.name' must be kebab-case.*rename it 'key-weight-l2'/s);
  });

  it('rejects a factory passed instead of the plugin object, saying to call it', () => {
    expect(() => validatePlugin(() => ok, 'flatsparse-plugin-x')).toThrow(/call the factory/);
  });

  it('names the offending member and the received value', () => {
    expect(() => validatePlugin({ ...ok, version: 'one' })).toThrow(PluginInvalidError);
    expect(() => validatePlugin({ ...ok, version: 'one' })).toThrow(/'version' must be a semver version.*Received: "one"/);
    expect(() => validatePlugin({ ...ok, hook: {} })).toThrow(/unknown keys|Unrecognized key/i);
    expect(() => validatePlugin({ ...ok, contributes: { regularizers: [{ name: 'r' }] } })).toThrow(/needs lossTerm, project, or both/);
    expect(() => validatePlugin({ ...ok, contributes: { activations: [{ name: 'a', apply: 1 }] } })).toThrow(/contributes\.activations\.0\.apply' must be a function/);
    expect(() => validatePlugin({ ...ok, name: 'Has Spaces' })).toThrow(/npm-style name/);
    const interval = (lo: number, hi: number) => ({ ...ok, contributes: { activations: [{ name: 'a', apply: () => 0, derivative: () => 0, flatRegions: [{ lo, hi }], restRegions: [] }] } });
    expect(() => validatePlugin(interval(1, 0))).toThrow(/lo must be <= hi/);
    expect(() => validatePlugin(interval(Number.NaN, 0))).toThrow(PluginInvalidError);
  });

  it('rejects hooks on events outside the vocabulary, listing the known ones', () => {
    const err = (() => {
      try {
        validatePlugin({ ...ok, hooks: { afterStpe: () => undefined } });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnknownEventError);
    expect((err as Error).message).toMatch(/'afterStpe'.*afterStep/);
  });

  it('checks the plugin API range with semver', () => {
    expect(() => validatePlugin({ ...ok, apiVersion: '^9.0.0' })).toThrow(PluginApiMismatchError);
    expect(() => validatePlugin({ ...ok, apiVersion: '^9.0.0' })).toThrow(new RegExp(`this is @flatsparse/plugin-api ${PLUGIN_API_VERSION.replace(/\./g, '\\.')}`));
    expect(() => validatePlugin({ ...ok, apiVersion: 'not a range' })).toThrow(/semver range/);
    expect(validatePlugin({ ...ok, apiVersion: `>=${PLUGIN_API_VERSION} <1` }).name).toBe('my-plugin');
  });
});

describe('validatePlugins', () => {
  it('names both sources of a name clash', () => {
    expect(() => validatePlugins([ok, { ...ok }], ['pkg-a', './local/b.js'])).toThrow(PluginNameClashError);
    expect(() => validatePlugins([ok, { ...ok }], ['pkg-a', './local/b.js'])).toThrow(/from pkg-a and from \.\/local\/b\.js/);
  });
});
