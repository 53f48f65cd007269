import { wasmBackend } from '@flatsparse/backend-wasm';
import { registerGradients } from '@flatsparse/core';
import { Rng, type PluginModule } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fatrelu, { ACTIVATION_NAME, API_VERSION, PLUGIN_NAME, PLUGIN_VERSION, fatreluActivation, optionsSchema } from '../src/index.js';
import * as pluginModule from '../src/index.js';

const backend = wasmBackend();
beforeAll(async () => {
  await backend.init();
  await registerGradients();
});
afterAll(async () => backend.dispose());

/** FATReLU in plain float64 JavaScript, written from the definition (independent of the plugin's `reference`). */
const fat = (x: number, t: number): number => (x >= t ? x : 0);

/** Reads a tensor back as plain numbers and disposes it. */
async function read(t: tf.Tensor): Promise<number[]> {
  try {
    return Array.from(await t.data());
  } finally {
    t.dispose();
  }
}

describe('FATReLU numerics (float32 on wasm against float64 JavaScript)', () => {
  // Random points (seeded), the threshold itself (as float32) and its float32 neighbours on either side.
  const points = (t: number): number[] => {
    const rng = new Rng(5);
    const ft = Math.fround(t);
    const near = ft === 0 ? [-1e-30, 1e-30] : [Math.fround(ft * (1 - 2 ** -22)), Math.fround(ft * (1 + 2 ** -22))];
    return [...Array.from({ length: 200 }, () => Math.fround(2 * rng.normal())), ft, ...near.map(Math.fround)];
  };

  for (const threshold of [0.1, 0, 1.5]) {
    it(`threshold ${threshold}: apply, derivative and backpropagation`, async () => {
      const act = fatreluActivation({ threshold });
      const xs = points(threshold);
      const x = tf.tensor1d(xs);
      const y = await read(act.apply(x));
      const d = await read(act.derivative(x));
      const g = await read(tf.grad((t: tf.Tensor) => act.apply(t))(x));
      x.dispose();
      xs.forEach((v, i) => {
        expect(y[i], `f(${v})`).toBe(fat(v, Math.fround(threshold)));
        expect(d[i], `f'(${v})`).toBe(v >= Math.fround(threshold) ? 1 : 0);
      });
      expect(g).toEqual(d); // backpropagation uses the documented derivative, jump included
      expect(xs.filter((v) => v < threshold).length).toBeGreaterThan(20);
      expect(xs.filter((v) => v >= threshold).length).toBeGreaterThan(20);
    });
  }

  it('jumps from 0 to the threshold at the threshold', async () => {
    const t = Math.fround(0.1);
    const x = tf.tensor1d([Math.fround(t * (1 - 2 ** -22)), t]);
    expect(await read(fatreluActivation({ threshold: 0.1 }).apply(x))).toEqual([0, t]);
    x.dispose();
  });

  it('declares the flat region (-inf, threshold) and the rest value 0, matching the float64 reference', () => {
    const act = fatreluActivation({ threshold: 0.25 });
    expect(act.name).toBe(ACTIVATION_NAME);
    expect(act.flatRegions).toEqual([{ lo: -Infinity, hi: 0.25, loClosed: false, hiClosed: false }]);
    expect(act.restRegions).toEqual([{ lo: 0, hi: 0, loClosed: true, hiClosed: true }]);
    for (const v of [-3, 0.2499, 0.25, 0.3, 7]) expect(act.reference?.(v)).toBe(fat(v, 0.25));
  });
});

describe('FATReLU module contract', () => {
  it('is a plugin module: a default-export factory and a Standard Schema as optionsSchema', () => {
    const contract: PluginModule = pluginModule; // also checked at compile time (pnpm typecheck)
    expect(contract.default).toBe(fatrelu);
    expect(contract.optionsSchema?.['~standard'].vendor).toBe('zod');
  });

  it('the plugin, its constants and package.json agree', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    const plugin = fatrelu();
    expect([plugin.name, plugin.version, plugin.apiVersion]).toEqual([pkg.name, pkg.version, API_VERSION]);
    expect([PLUGIN_NAME, PLUGIN_VERSION]).toEqual([pkg.name, pkg.version]);
    expect(plugin.contributes?.activations?.map((a) => a.name)).toEqual(['fatrelu']);
  });

  it('publishes its options schema (Standard Schema v1): default threshold 0.1, negative or unknown options rejected', async () => {
    const std = optionsSchema['~standard'];
    expect(std.version).toBe(1);
    expect(await std.validate({})).toEqual({ value: { threshold: 0.1 } });
    expect(await std.validate({ threshold: 0.3 })).toEqual({ value: { threshold: 0.3 } });
    for (const bad of [{ threshold: -0.1 }, { threshold: '0.1' }, { threshold: 0.1, slope: 1 }]) expect((await std.validate(bad)).issues?.length, JSON.stringify(bad)).toBeGreaterThan(0);
  });

  it('the factory validates too: E_PLUGIN_INVALID names the option', () => {
    expect(() => fatrelu({ threshold: -1 })).toThrow(/E_PLUGIN_INVALID.*flatsparse-plugin-fatrelu.*option 'threshold'.*Expected: \{ threshold\?: a number >= 0 \}/);
    expect(() => fatrelu({ treshold: 0.2 })).toThrow(/E_PLUGIN_INVALID.*treshold/);
  });
});
