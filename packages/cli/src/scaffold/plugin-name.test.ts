import { describe, expect, it } from 'vitest';
import { contributionName, factoryName, identifierOf, validatePackageName } from './plugin-name.js';

describe('plugin names of new-plugin', () => {
  it('accepts npm package names, scoped ones included', () => {
    for (const name of ['flatsparse-plugin-fatrelu', '@lab/flatsparse-plugin-x', 'my.plugin_v2', 'x'.repeat(214)]) expect(() => validatePackageName(name), name).not.toThrow();
  });

  it('rejects what npm or Node would refuse, saying why', () => {
    const cases: [string, RegExp][] = [
      ['', /is empty/],
      ['x'.repeat(215), /longer than 214/],
      ['MyPlugin', /uppercase/],
      ['my plugin', /not an npm package name/],
      ['.hidden', /not an npm package name/],
      ['_private', /not an npm package name/],
      ['@scope', /not an npm package name/],
      ['fs', /taken by Node itself/],
      ['node_modules', /taken by Node itself/],
    ];
    for (const [name, why] of cases) expect(() => validatePackageName(name), JSON.stringify(name)).toThrow(why);
  });

  it('derives the contribution name: unscoped, without the flatsparse-plugin- prefix, kebab-case; and its identifier, camelCase', () => {
    expect(contributionName('flatsparse-plugin-dead-zone')).toBe('dead-zone');
    expect(contributionName('@lab/flatsparse-plugin-grad-norm')).toBe('grad-norm');
    expect(contributionName('my.act_v2~x')).toBe('my-act-v2-x');
    expect(contributionName('flatsparse-plugin-2x')).toBe('2x');
    expect(contributionName('flatsparse-plugin')).toBe('flatsparse-plugin');
    expect(identifierOf('dead-zone')).toBe('deadZone');
    expect(identifierOf('my-act-v2-x')).toBe('myActV2X');
    expect(identifierOf('2x')).toBe('plugin2x');
    expect(identifierOf('flatsparse-plugin')).toBe('flatsparsePlugin');
  });

  it('names the factory after the contribution unless that is a reserved word or a binding of the templates', () => {
    expect(factoryName('fatrelu')).toBe('fatrelu');
    for (const taken of ['delete', 'class', 'z', 'tf', 'interval', 'optionsSchema']) expect(factoryName(taken)).toBe(`${taken}Plugin`);
  });
});
