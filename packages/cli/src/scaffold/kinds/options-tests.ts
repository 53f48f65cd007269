import type { TemplateContext } from '../types.js';

/** What the shared options tests of a generated package need: the defaults, a bad value and its option. */
export interface OptionsCase {
  /** The parsed value of `{}` as a JS literal (for example '{ threshold: 0.5 }'). */
  readonly defaults: string;
  /** Options with one bad value as a JS literal (for example "{ threshold: 'high' }"). */
  readonly bad: string;
  /** Name of the bad option. */
  readonly badOption: string;
}

/** A describe block checking names and versions against package.json, the published schema and the factory's validation. */
export function optionsTests(ctx: TemplateContext, c: OptionsCase): string {
  return `describe('${ctx.name}: module contract, versions and options', () => {
  it('the module is a plugin module: a default-export factory and a Standard Schema as optionsSchema', () => {
    const contract: PluginModule = pluginModule; // also checked at compile time (npm run typecheck)
    expect(typeof contract.default).toBe('function');
    expect(contract.optionsSchema?.['~standard'].version).toBe(1);
  });

  it('the plugin, its constants and package.json agree', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    const plugin = create();
    expect([plugin.name, plugin.version, plugin.apiVersion]).toEqual([pkg.name, pkg.version, API_VERSION]);
    expect([PLUGIN_NAME, PLUGIN_VERSION]).toEqual([pkg.name, pkg.version]);
  });

  it('publishes its options schema (Standard Schema v1), defaults included', async () => {
    expect(await optionsSchema['~standard'].validate({})).toEqual({ value: ${c.defaults} });
    const bad = await optionsSchema['~standard'].validate(${c.bad});
    expect(bad.issues?.[0]?.path).toEqual(['${c.badOption}']);
  });

  it('the factory rejects a bad value and an unknown option with E_PLUGIN_INVALID', () => {
    expect(() => create(${c.bad})).toThrow(/E_PLUGIN_INVALID.*option '${c.badOption}'/);
    expect(() => create({ notAnOption: 1 })).toThrow(/E_PLUGIN_INVALID.*notAnOption/);
  });
});
`;
}

/** What a kind's test imports besides the shared imports. */
export interface TestImports {
  /** Named imports from '@flatsparse/plugin-api' (the PluginModule type is always imported). */
  readonly api?: string;
  /** Named imports from '@flatsparse/plugin-api/testing', if any. */
  readonly testing?: string;
  /** Named imports from '../src/index.js' besides the default export, the constants and optionsSchema. */
  readonly source: string;
}

/** Imports, the wasm backend set up for the file (gradients registered), and a read-back helper. */
export function testHead(imports: TestImports): string {
  return `import { wasmBackend } from '@flatsparse/backend-wasm';
import { registerGradients } from '@flatsparse/core';
import { ${imports.api ? `${imports.api}, ` : ''}type PluginModule } from '@flatsparse/plugin-api';
${imports.testing ? `import { ${imports.testing} } from '@flatsparse/plugin-api/testing';\n` : ''}import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import create, { API_VERSION, PLUGIN_NAME, PLUGIN_VERSION, optionsSchema, ${imports.source} } from '../src/index.js';
import * as pluginModule from '../src/index.js';

const backend = wasmBackend();
beforeAll(async () => {
  await backend.init();
  await registerGradients();
});
afterAll(async () => backend.dispose());

/** Reads a tensor back as plain numbers and disposes it. */
async function read(t: tf.Tensor): Promise<number[]> {
  try {
    return Array.from(await t.data());
  } finally {
    t.dispose();
  }
}
`;
}
