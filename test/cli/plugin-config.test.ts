import { main } from '@flatsparse/cli';
import { FlatsparseError } from '@flatsparse/plugin-api';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../packages/cli/src/config/load-config.js';
import { resolveConfig } from '../../packages/cli/src/config/resolve-config.js';
import { pluginProject } from '../fixtures/plugins/project.js';
import { recordingIo } from './recording-io.js';

const base = {
  name: 'plugins',
  model: { kind: 'vit', patch: 4, d: 8, depth: 1, heads: 2, mlpWidth: 16 },
  data: { source: 'synthetic-image', classes: 3, imageSize: 8, trainSize: 16, heldOutSize: 8 },
  train: { steps: 2, batchSize: 8, logEvery: 1 },
};

let dir: string;
beforeAll(async () => {
  dir = await pluginProject();
});

/** Resolves a config written in `dir/configs` (so './local/x' paths are '../local/x' from there). */
async function resolveIn(config: object) {
  return resolveConfig(parseConfig({ ...base, ...config }), { backends: [], configDir: join(dir, 'configs') });
}

async function resolveError(config: object): Promise<FlatsparseError> {
  const err = await resolveIn(config).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FlatsparseError);
  return err as FlatsparseError;
}

describe('third-party plugins in a config', () => {
  it('loads packages and paths under `plugins`, and `activation` / `metrics` name what they contribute', async () => {
    const spec = await resolveIn({
      plugins: ['flatsparse-plugin-a', { name: '../local/good.mjs', options: { x: 1 } }, 'zeroth-bias'],
      activation: 'fixture-relu',
      metrics: ['fixture-metric', 'dead-neurons'],
    });
    expect(spec.activation).toBe('fixture-relu');
    expect(spec.metrics).toEqual(['fixture-metric', 'dead-neurons']);
    expect(spec.plugins.map((p) => p.name)).toEqual(['dead-neurons', 'flatsparse-plugin-a', 'local-good', 'zeroth-bias']);
    expect(spec.pluginSources).toEqual(['metrics.1', 'plugins.0 (flatsparse-plugin-a@1.0.0)', 'plugins.1 (../local/good.mjs)', 'plugins.2']);
    // The stored config (config.json) keeps package names and makes paths absolute for `flatsparse eval`.
    expect((spec.config as { plugins: unknown[] }).plugins).toEqual(['flatsparse-plugin-a', { name: join(dir, 'local', 'good.mjs'), options: { x: 1 } }, 'zeroth-bias']);
  });

  it('rejects an activation that is neither built in nor contributed, listing both kinds of names', async () => {
    const err = await resolveError({ plugins: ['flatsparse-plugin-a'], activation: 'fatrelu' });
    expect(err.code).toBe('E_CONFIG_INVALID');
    expect(err.message).toMatch(/'activation': 'fatrelu' is neither a built-in activation plugin nor an? activation contributed by a plugin under 'plugins'/);
    expect(err.message).toMatch(/built-in activation plugins: relu, gelu.*contributed under 'plugins': fixture-relu/);
    const metric = await resolveError({ metrics: ['fixture-metric'] });
    expect(metric.message).toMatch(/'metrics\.0'.*contributed under 'plugins': none/);
  });

  it('rejects options on a contributed name (they belong to the plugin)', async () => {
    const err = await resolveError({ plugins: ['flatsparse-plugin-a'], activation: { name: 'fixture-relu', options: { k: 1 } } });
    expect(err.message).toMatch(/'activation': 'fixture-relu' is a activation contributed by a plugin under 'plugins', so it takes no options here/);
  });

  it('names both plugins of a name clash with where they come from', async () => {
    const err = await resolveError({ plugins: ['flatsparse-plugin-a', 'zeroth-bias', '../local/clash.mjs'] });
    expect(err.code).toBe('E_PLUGIN_NAME_CLASH');
    expect(err.message).toContain("Two plugins are named 'flatsparse-plugin-a' (from plugins.0 (flatsparse-plugin-a@1.0.0) and from plugins.2 (../local/clash.mjs))");
  });

  it.each([
    ['a package that is not installed', ['zeroth-bias', 'flatsparse-plugin-missing'], /E_PLUGIN_NOT_FOUND\] Plugin 'flatsparse-plugin-missing' \(plugins\.1\)/],
    ['options the schema rejects', [{ name: 'flatsparse-plugin-zod', options: { threshold: -1 } }], /E_PLUGIN_OPTIONS\].*plugins\.0\.options\.threshold: Too small/],
    ['a factory that throws', ['./local/factory-throws.mjs'], /E_PLUGIN_FACTORY\] Plugin '.\/local\/factory-throws\.mjs' \(plugins\.0\)/],
    ['a module without a factory', ['./local/no-factory.mjs'], /E_PLUGIN_NO_FACTORY\] Plugin '.\/local\/no-factory\.mjs' \(plugins\.0\)/],
    ['an unsupported core API', ['flatsparse-plugin-old-api'], /E_PLUGIN_API_MISMATCH\].*'\^99\.0\.0'/],
  ])('`flatsparse run` stops on %s before any backend, data or training', async (_what, plugins, pattern) => {
    // backend 'cuda' is unavailable here: selecting it first would fail with E_BACKEND_UNAVAILABLE instead.
    const config = join(dir, `bad-${plugins.length}-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(config, JSON.stringify({ ...base, backend: 'cuda', plugins }));
    const io = recordingIo();
    const out = join(dir, 'runs', 'bad');
    expect(await main(['run', config, '--out', out, '--quiet'], io)).toBe(2);
    expect(io.text()).toMatch(pattern);
    expect(io.text()).toMatch(/Fix:/);
    expect(existsSync(out)).toBe(false);
  });

  it('`flatsparse run` trains with a plugin loaded by package name, and `eval` finds it again from the run directory', async () => {
    const plugins = [{ name: 'flatsparse-plugin-counter', options: { key: 'cli' } }, '../local/good.mjs'];
    await writeFile(join(dir, 'configs', 'counter.json'), JSON.stringify({ ...base, backend: 'wasm', metrics: ['activation-sparsity'], plugins }));
    const runDir = join(dir, 'runs', 'counter');
    const io = recordingIo();
    expect(await main(['run', join(dir, 'configs', 'counter.json'), '--out', runDir, '--quiet'], io)).toBe(0);
    expect((globalThis as { __flatsparseCounter?: Record<string, number> }).__flatsparseCounter?.['cli']).toBe(2);
    const stored = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8')) as { plugins: unknown[] };
    expect(stored.plugins).toEqual([{ name: 'flatsparse-plugin-counter', options: { key: 'cli' } }, join(dir, 'local', 'good.mjs')]);
    const evalIo = recordingIo();
    expect(await main(['eval', runDir], evalIo)).toBe(0);
    expect(evalIo.text()).toMatch(/plugins: heldOut split, 8 examples/);
  });
});
