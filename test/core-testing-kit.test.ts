import { wasmBackend } from '@flatsparse/backend-wasm';
import { registerGradients } from '@flatsparse/core';
import { countTensors, definePlugin, interval, type ActivationFunction, type Backend, type Plugin, type UpdateMethod } from '@flatsparse/plugin-api';
import { BackendUnavailableError } from '@flatsparse/plugin-api/host';
import {
  backendConformanceCases,
  fixed,
  floats,
  opCase,
  reluForTests,
  runBackendConformance,
  runConformanceCase,
  runPluginConformance,
  type ConformanceCase,
  type PluginConformanceReport,
} from '@flatsparse/plugin-api/testing';
import { describeBackendConformance } from '@flatsparse/plugin-api/testing/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { useBackend } from './support/backend.js';

await import('@tensorflow/tfjs-core/dist/register_all_gradients.js' as string);
const state = await useBackend(wasmBackend());

const unavailable: Backend = {
  ...wasmBackend(),
  name: 'nowhere',
  isAvailable: async () => ({ available: false, reason: 'it exists only in this test.', fix: 'nothing to fix.' }),
};

// Registered at collection: every case must be skipped with the reason printed, never passed.
const warn = vi.spyOn(console, 'warn');
describeBackendConformance(unavailable, { filter: (name) => name === 'relu' });

const check = (report: PluginConformanceReport, name: string) => report.results.find((r) => r.name === name);

describe.skipIf(!state.available)('backend suite: the kit can fail', () => {
  it('reports a case whose forward reference is deliberately wrong (by 1e-3 relative) as failed, with the comparison', async () => {
    const wrong = opCase({ name: 'exp with a wrong reference', group: 'test', inputs: (rng) => [floats(rng, [3, 4])], forward: tf.exp, reference: (x) => ({ shape: x.shape, data: x.data.map((v) => Math.exp(v) * 1.001) }) });
    const r = await runConformanceCase(wrong);
    expect(r.passed).toBe(false);
    expect(r.maxAbsError).toBeGreaterThan(r.tolerance);
    expect(r.detail).toMatch(/FAIL forward/);
    expect(r.leaked).toBe(0);
  });

  it('reports a wrong gradient reference as failed while the forward part passes', async () => {
    const wrong = opCase({
      name: 'square with a wrong gradient', group: 'test', inputs: (rng) => [floats(rng, [2, 3])], forward: tf.square,
      reference: (x) => ({ shape: x.shape, data: x.data.map((v) => v * v) }),
      referenceGrad: (xs, w) => [{ shape: w.shape, data: w.data.map((wv, i) => wv * 2.1 * xs[0]!.data[i]!) }],
      gradTol: { atol: 1e-5, rtol: 1e-4 },
    });
    const r = await runConformanceCase(wrong);
    expect(r.passed).toBe(false);
    expect(r.detail).toMatch(/^forward .*; FAIL d\/dx0/);
  });

  it('reports a leaky case as leaked (and releases its tensors afterwards)', async () => {
    const before = countTensors();
    const leaky: ConformanceCase = { name: 'leaky', group: 'test', run: () => (tf.ones([2, 2]), { passed: true, maxAbsError: 0, tolerance: 0 }) };
    const r = await runConformanceCase(leaky);
    expect(r).toMatchObject({ passed: false, leaked: 1 });
    expect(r.detail).toMatch(/leaked 1 tensor/);
    expect(countTensors()).toBe(before);
  });

  it('reports a throwing case with its error, and an unregistered gradient with the fix', async () => {
    const r = await runConformanceCase({ name: 'throws', group: 'test', run: () => { throw new Error('boom'); } });
    expect(r).toMatchObject({ passed: false, error: 'boom' });
    const noGrad = await runConformanceCase({ name: 'no grad', group: 'test', run: () => { throw new Error('Cannot compute gradient: gradient function not found for Sum.'); } });
    expect(noGrad.error).toMatch(/setup: registerGradients/);
  });

  it('a non-finite output where a finite one is expected fails', async () => {
    const r = await runConformanceCase(opCase({ name: 'nan', group: 'test', inputs: () => [fixed([2], [1, -1])], forward: tf.sqrt, reference: (x) => ({ shape: x.shape, data: x.data.map((v) => Math.sqrt(Math.abs(v))) }) }));
    expect(r.passed).toBe(false);
    expect(r.maxAbsError).toBe(Infinity);
  });

  it('runBackendConformance returns the backend info and one row per selected case', async () => {
    const report = await runBackendConformance(wasmBackend(), { setup: registerGradients, filter: (name) => name.startsWith('matMul 2-D') || name === 'gradients registered' });
    expect(report.backend.name).toBe('wasm');
    expect(report.results.map((r) => r.name)).toEqual(backendConformanceCases().map((c) => c.name).filter((n) => n.startsWith('matMul 2-D') || n === 'gradients registered'));
    expect(report.passed).toBe(true);
    expect(report.results.every((r) => r.leaked === 0 && r.maxAbsError <= r.tolerance)).toBe(true);
  });

  it('runBackendConformance refuses an unavailable backend with the reason and fix', async () => {
    await expect(runBackendConformance(unavailable)).rejects.toThrow(BackendUnavailableError);
    await expect(runBackendConformance(unavailable)).rejects.toThrow(/exists only in this test/);
  });

  it('describeBackendConformance printed why it skipped the unavailable backend', () => {
    const printed = warn.mock.calls.map((args) => args.join(' '));
    warn.mockRestore();
    expect(printed.some((line) => line.includes("backend 'nowhere' is not available: it exists only in this test.") && line.includes('Fix:'))).toBe(true);
  });
});

/** A valid plugin built from parts; activations use finite flat regions. */
function pluginWith(parts: Partial<Plugin>): () => Plugin {
  return () => definePlugin({ name: 'kit-subject', version: '1.0.0', apiVersion: '^0.7.0', ...parts });
}

const reluLike = (overrides: Partial<ActivationFunction>): ActivationFunction => ({ ...reluForTests, name: 'subject-act', flatRegions: [interval(-8, 0)], ...overrides });

describe.skipIf(!state.available)('plugin suite: the kit can fail', () => {
  it('passes a well-behaved plugin with a pre hook, and records that hook in its bucket', async () => {
    const report = await runPluginConformance(pluginWith({ hooks: { afterStep: { handler: () => undefined, order: 'pre' }, end: () => undefined }, contributes: { activations: [reluLike({})] } }));
    expect(report.results.filter((r) => !r.passed)).toEqual([]);
    expect(check(report, 'hook order')!.detail).toMatch(/afterStep\/pre/);
    expect(check(report, 'hook order')!.detail).toMatch(/end\/normal/);
    expect(check(report, 'error attribution')!.detail).toMatch(/'afterStep' \(step 7\)/);
  });

  it('rejects a plugin whose hook leaks a tensor per step', async () => {
    const report = await runPluginConformance(pluginWith({ hooks: { afterBackward: () => void tf.ones([3]) } }));
    expect(report.passed).toBe(false);
    expect(check(report, 'no tensor leaks over a run')).toMatchObject({ passed: false });
    // The host's leak guard stops the run at the first leaking hook call (E_PLUGIN_LEAK).
    expect(check(report, 'no tensor leaks over a run')!.detail).toMatch(/E_PLUGIN_LEAK.*'kit-subject' left 1 tensor\(s\) allocated in 'afterBackward'/);
  });

  it('rejects a plugin that keeps a tensor without a dispose step', async () => {
    let kept: tf.Tensor | undefined;
    const report = await runPluginConformance(pluginWith({ hooks: { modelBuilt: () => void (kept = tf.zeros([2])) } }));
    expect(check(report, 'no tensor leaks over a run')).toMatchObject({ passed: false });
    expect(check(report, 'no tensor leaks over a run')!.detail).toMatch(/E_PLUGIN_LEAK.*left 1 tensor\(s\) allocated in 'modelBuilt'/);
    kept?.dispose();
  });

  it('rejects an activation whose derivative disagrees with its forward', async () => {
    const halfDerivative = reluLike({ derivative: (x) => tf.mul(tf.step(x), 0.5) });
    const report = await runPluginConformance(pluginWith({ contributes: { activations: [halfDerivative] } }));
    const row = check(report, 'activation subject-act')!;
    expect(row.passed).toBe(false);
    expect(row.detail).toMatch(/derivative vs central differences of apply/);
  });

  it('rejects an activation whose derivative is not zero inside its declared flat region', async () => {
    const leaky = reluLike({ apply: (x) => tf.leakyRelu(x, 0.01), derivative: (x) => tf.where(tf.greater(x, 0), tf.onesLike(x), tf.fill(x.shape, 0.01)), reference: undefined });
    const row = check(await runPluginConformance(pluginWith({ contributes: { activations: [leaky] } })), 'activation subject-act')!;
    expect(row.passed).toBe(false);
    expect(row.detail).toMatch(/derivative inside flat regions.*max \|sigma'\| 1\.00e-2/);
  });

  it('rejects an activation that declares unitSlope but has another slope off its flat regions, and accepts ReLU with it', async () => {
    const squared = reluLike({ apply: (x) => tf.square(tf.relu(x)), derivative: (x) => tf.mul(tf.relu(x), 2), reference: (x) => Math.max(x, 0) ** 2, unitSlope: true });
    const row = check(await runPluginConformance(pluginWith({ contributes: { activations: [squared] } })), 'activation subject-act')!;
    expect(row.passed).toBe(false);
    expect(row.detail).toMatch(/unitSlope .*but [\d.e+-]+ at x = /);
    const unit = check(await runPluginConformance(pluginWith({ contributes: { activations: [reluLike({ unitSlope: true })] } })), 'activation subject-act')!;
    expect(unit.passed).toBe(true);
  });

  it('rejects an activation whose apply disagrees with its reference', async () => {
    const row = check(await runPluginConformance(pluginWith({ contributes: { activations: [reluLike({ reference: (x) => Math.max(x, 0) * 1.01 })] } })), 'activation subject-act')!;
    expect(row).toMatchObject({ passed: false });
    expect(row.detail).toMatch(/apply vs reference/);
  });

  it('rejects a metric returning a non-scalar, and a regularizer whose loss term is not finite', async () => {
    const report = await runPluginConformance(pluginWith({
      contributes: {
        metrics: [{ name: 'per-token', compute: (c) => ({ value: tf.mean(c.a, -1) as tf.Scalar }) }],
        regularizers: [{ name: 'nan-loss', lossTerm: () => tf.scalar(NaN) }],
      },
    }));
    expect(check(report, 'metric per-token')!.detail).toMatch(/'value' has shape \[2, 3\], expected a scalar/);
    expect(check(report, 'regularizer nan-loss')!.detail).toMatch(/'lossTerm' is NaN/);
  });

  it('passes SAM as an update method, and rejects one that skips the observed pass, writes a parameter or asks for a wrong offset', async () => {
    const { sam } = await import('@flatsparse/plugins');
    const ok = await runPluginConformance(() => sam({ rho: 0.1 }));
    expect(ok.results.filter((r) => !r.passed)).toEqual([]);
    expect(check(ok, 'update method sam')!.detail).toMatch(/step 0: 1 silent pass/);
    const bad = (gradients: UpdateMethod['gradients']) => runPluginConformance(pluginWith({ contributes: { updateMethods: [{ name: 'subject-update', gradients }] } }));
    expect(check(await bad((input) => input.gradient()), 'update method subject-update')!.detail).toMatch(/observedGradient\(\) called 0 times/);
    const writes = await bad((input) => {
      const [name, w] = [...input.params][0]!;
      w.assign(tf.add(w, 1));
      return input.observedGradient() && new Map([[name, tf.zerosLike(w)]]);
    });
    expect(check(writes, 'update method subject-update')!.detail).toMatch(/parameters changed/);
    const wrongShape = await bad((input) => input.observedGradient(new Map([['a', tf.zeros([7])]])));
    expect(check(wrongShape, 'update method subject-update')!.detail).toMatch(/offset of 'a' has shape \[7\]/);
  });

  it('reports an invalid plugin through the validation check only', async () => {
    const report = await runPluginConformance(() => ({ name: 'Bad Name!', version: 'one', apiVersion: '^0.7.0' }) as Plugin);
    expect(report.results.map((r) => r.name)).toEqual(['validates']);
    expect(report.results[0]!.error).toMatch(/E_PLUGIN_INVALID/);
  });
});
