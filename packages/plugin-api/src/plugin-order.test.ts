import { describe, expect, it } from 'vitest';
import { PluginOrderCycleError } from './errors.js';
import type { Plugin } from './plugin.js';
import { sortPlugins } from './plugin-order.js';

const p = (name: string, order?: Plugin['order']): Plugin => ({ name, version: '1.0.0', apiVersion: '^0.1.0', order });
const names = (ps: readonly Plugin[]) => ps.map((x) => x.name);

describe('sortPlugins', () => {
  it('orders unconstrained plugins by name, whatever the input order', () => {
    expect(names(sortPlugins([p('c'), p('a'), p('b')]))).toEqual(['a', 'b', 'c']);
    expect(names(sortPlugins([p('b'), p('c'), p('a')]))).toEqual(['a', 'b', 'c']);
  });

  it('honours before and after', () => {
    const out = names(sortPlugins([p('a', { after: ['c'] }), p('b'), p('c', { after: ['b'] }), p('z', { before: ['b'] })]));
    expect(out).toEqual(['z', 'b', 'c', 'a']);
  });

  it('ignores constraints on absent plugins', () => {
    expect(names(sortPlugins([p('b', { after: ['missing'] }), p('a', { before: ['ghost'] })]))).toEqual(['a', 'b']);
  });

  it('names the cycle', () => {
    const run = () => sortPlugins([p('a', { before: ['b'] }), p('b', { before: ['c'] }), p('c', { before: ['a'] }), p('d')]);
    expect(run).toThrow(PluginOrderCycleError);
    try {
      run();
    } catch (err) {
      const cycle = (err as PluginOrderCycleError).cycle;
      expect(cycle[0]).toBe(cycle[cycle.length - 1]);
      expect(new Set(cycle)).toEqual(new Set(['a', 'b', 'c']));
      expect((err as PluginOrderCycleError).code).toBe('E_PLUGIN_ORDER_CYCLE');
    }
  });
});
