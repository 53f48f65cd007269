import { wasmBackend } from '@flatsparse/backend-wasm';
import { Trainer, registerGradients, type TrainerRecord } from '@flatsparse/core';
import { type ModelView, type Plugin, type TrainableModel, type UpdateInput } from '@flatsparse/plugin-api';
import { PluginError, PluginHost, PluginInvalidError, UpdateMethodConflictError } from '@flatsparse/plugin-api/host';
import { addZerothBiases, sam, samPerturbation, zerothBias, type SamOptions } from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { tinyLoss, tinySetup } from '../support/tiny-model.js';

const state = await useBackend(wasmBackend());
beforeAll(async () => {
  if (state.available) await registerGradients();
});

type Values = Map<string, Float32Array>;

/** A batch read back. */
interface SeenBatch {
  readonly inputs: Float32Array;
  readonly inputShape: number[];
  readonly targets: Int32Array;
}

/**
 * A test plugin reading back (dataSync: fine in a test, never in a real plugin) every parameter in
 * 'beforeForward' (w), in 'afterForward' (inside the observed pass: w + e at a SAM step), in
 * 'afterBackward' (after the trainer put w back), the gradients of 'afterBackward', the batch of
 * every step, how many observed passes each step ran, and the tensor count after every step.
 */
function spy() {
  let model: ModelView | undefined;
  const seen = { pre: [] as Values[], forward: [] as Values[], backward: [] as Values[], grads: [] as Values[] };
  const batches: SeenBatch[] = [];
  const counts: number[] = [];
  const passes: number[] = [];
  const read = (entries: Iterable<[string, tf.Tensor]>): Values => new Map([...entries].map(([k, t]) => [k, Float32Array.from(t.dataSync())]));
  const plugin: Plugin = {
    name: 'sam-test-spy',
    permissions: { keepTensors: true },
    version: '0.0.0',
    apiVersion: '*',
    hooks: {
      modelBuilt: { order: 'post', handler: ({ model: m }) => void (model = m) },
      beforeForward: ({ batch }) => {
        seen.pre.push(read(model!.params));
        passes.push(0);
        batches.push({ inputs: Float32Array.from(batch.inputs.dataSync()), inputShape: batch.inputs.shape, targets: Int32Array.from(batch.targets.dataSync()) });
      },
      afterForward: () => {
        seen.forward.push(read(model!.params));
        passes[passes.length - 1]! += 1;
      },
      afterBackward: ({ grads }) => {
        seen.backward.push(read(model!.params));
        seen.grads.push(read(grads));
      },
      afterStep: { order: 'post', handler: () => void counts.push(tf.memory().numTensors) },
    },
  };
  return { plugin, batches, counts, passes, read: (which: keyof typeof seen, step: number): Values => seen[which][step]! };
}

/** A regularizer plugin with a loss term the test can differentiate by hand: weight x 0.5 ||head.weight||^2. */
function headPenalty(weight: number): Plugin {
  let head: tf.Variable | undefined;
  return {
    name: 'head-penalty',
    version: '0.0.0',
    apiVersion: '*',
    hooks: { modelBuilt: ({ model }) => void (head = model.params.get('head.weight')) },
    contributes: { regularizers: [{ name: 'head-penalty', weight: () => weight, lossTerm: () => tf.mul(0.5, tf.sum(tf.square(head!))) as tf.Scalar }] },
  };
}

/** Trains the tiny model with these plugins; returns the model (caller disposes), the records and the spy. */
async function train(plugins: readonly Plugin[], o: { steps: number; lr: number; epsilon?: number; labelSmoothing?: number }) {
  const { model, dataset } = tinySetup();
  const s = spy();
  const records: TrainerRecord[] = [];
  const host = await PluginHost.create([...plugins, s.plugin]);
  await new Trainer({
    model,
    dataset,
    host,
    steps: o.steps,
    batchSize: 8,
    lr: o.lr,
    logEvery: 1,
    labelSmoothing: o.labelSmoothing ?? 0,
    optimizer: { weightDecay: 0, epsilon: o.epsilon ?? 1e-8 },
    sink: { write: (r) => void records.push(r) },
  }).run();
  await host.dispose();
  return { model, spy: s, records: records.filter((r) => r.split === 'train') };
}

/**
 * Loss and gradient of the tiny model's training loss at its current parameters, by tf.variableGrads:
 * the data loss with `labelSmoothing` plus `penalty` x 0.5 ||head.weight||^2.
 */
function lossAndGrads(model: TrainableModel, names: readonly string[], batch: SeenBatch, o: { labelSmoothing?: number; penalty?: number } = {}): { loss: number; grads: Map<string, Float64Array> } {
  let result: { loss: number; grads: Map<string, Float64Array> } | undefined;
  tf.tidy(() => {
    const variables = names.map((n) => model.params.get(n)!);
    const inputs = tf.tensor(batch.inputs, batch.inputShape);
    const targets = tf.tensor(batch.targets, [batch.targets.length], 'int32');
    const { value, grads } = tf.variableGrads(() => {
      const data = tinyLoss(model.forward(inputs, { training: true, step: 0 }).output, targets, o.labelSmoothing ?? 0);
      return o.penalty === undefined ? data : (tf.add(data, tf.mul(o.penalty * 0.5, tf.sum(tf.square(model.params.get('head.weight')!)))) as tf.Scalar);
    }, variables);
    result = { loss: value.dataSync()[0]!, grads: new Map(names.map((n, i) => [n, Float64Array.from(grads[variables[i]!.name]!.dataSync())])) };
  });
  return result!;
}

function setValues(model: ModelView, values: ReadonlyMap<string, ArrayLike<number>>): void {
  for (const [name, v] of values) {
    const variable = model.params.get(name)!;
    tf.tidy(() => variable.assign(tf.tensor(Float32Array.from(v), variable.shape)));
  }
}

function globalNorm(vectors: Iterable<ArrayLike<number>>): number {
  let sq = 0;
  for (const v of vectors) for (let i = 0; i < v.length; i++) sq += v[i]! ** 2;
  return Math.sqrt(sq);
}

/** Plain float64 SAM / ASAM ascent step e, per name. */
function referencePerturbation(w: ReadonlyMap<string, ArrayLike<number>>, g: ReadonlyMap<string, ArrayLike<number>>, o: { rho: number; adaptive: boolean; eta: number }): Map<string, Float64Array> {
  const t = (name: string, i: number): number => (o.adaptive ? Math.abs(w.get(name)![i]!) + o.eta : 1);
  const scaled = new Map([...g].map(([name, gi]) => [name, Float64Array.from(gi, (x, i) => t(name, i) * x)]));
  const norm = globalNorm(scaled.values());
  return new Map([...scaled].map(([name, s]) => [name, Float64Array.from(s, (x, i) => (o.rho * t(name, i) * x) / norm)]));
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!), `${label}[${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe.skipIf(!state.available)('samPerturbation', () => {
  const w = new Map([
    ['a', [0.5, -1.25, 2, 0.75, -0.3, 1.1]],
    ['b', [0.2, -0.4, 0.1, 0]],
  ]);
  const g = new Map([
    ['a', [0.1, -0.2, 0.3, 1.5, -0.05, 0]],
    ['b', [1, -1, 0.5, 0.25]],
  ]);
  const shapes = new Map([
    ['a', [2, 3]],
    ['b', [4]],
  ]);
  const run = (grads: ReadonlyMap<string, number[]>, o: { rho: number; adaptive: boolean; eta: number }): Map<string, Float32Array> => {
    const names = [...w.keys()];
    const out = new Map<string, Float32Array>();
    tf.tidy(() => {
      const e = samPerturbation(
        names.map((n) => tf.tensor(w.get(n)!, shapes.get(n)!)),
        names.map((n) => tf.tensor(grads.get(n)!, shapes.get(n)!)),
        o,
      );
      names.forEach((n, i) => out.set(n, e[i]!.dataSync() as Float32Array));
    });
    return out;
  };

  it.each([
    ['SAM', { rho: 0.05, adaptive: false, eta: 0.01 }],
    ['ASAM', { rho: 0.5, adaptive: true, eta: 0.01 }],
    ['ASAM, eta 0.2', { rho: 1, adaptive: true, eta: 0.2 }],
  ])('%s matches the float64 formula (global norm over all tensors)', (_, o) => {
    const before = tf.memory().numTensors;
    const e = run(g, o);
    const want = referencePerturbation(w, g, o);
    for (const name of w.keys()) expectClose(e.get(name)!, want.get(name)!, 1e-7, name);
    // SAM's step has length rho; ASAM's has length rho in T^-1-scaled coordinates.
    const t = (name: string, i: number) => (o.adaptive ? Math.abs(w.get(name)![i]!) + o.eta : 1);
    expect(globalNorm([...e].map(([name, v]) => Array.from(v, (x, i) => x / t(name, i))))).toBeCloseTo(o.rho, 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives zeros for a zero or non-finite gradient norm', () => {
    const zeros = new Map([...g].map(([n, v]) => [n, v.map(() => 0)]));
    const nan = new Map([...g].map(([n, v]) => [n, n === 'b' ? [Number.NaN, ...v.slice(1)] : v]));
    const inf = new Map([...g].map(([n, v]) => [n, n === 'a' ? [Number.POSITIVE_INFINITY, ...v.slice(1)] : v]));
    for (const grads of [zeros, nan, inf]) {
      for (const adaptive of [false, true]) {
        for (const v of run(grads, { rho: 0.05, adaptive, eta: 0.01 }).values()) expect(Array.from(v).every((x) => x === 0)).toBe(true);
      }
    }
  });
});

describe.skipIf(!state.available)("plugin 'sam' in the Trainer (tiny model)", () => {
  let before = 0;
  beforeEach(() => void (before = tf.memory().numTensors));
  afterEach(() => expect(tf.memory().numTensors).toBe(before));

  it('with zeroth-bias, label smoothing and a loss term: one step applies AdamW, at w, to the gradient of the training loss at w + rho g/||g|| (g of the same loss), computed by hand', async () => {
    const rho = 0.1;
    const lr = 0.01;
    const epsilon = 0.5; // makes AdamW's first update lr g / (|g| + eps) depend on the gradient's size
    const labelSmoothing = 0.2;
    const penalty = 0.3;
    const { model, spy: s, records } = await train([zerothBias(), sam({ rho }), headPenalty(penalty)], { steps: 1, lr, epsilon, labelSmoothing });

    // Reference: the same model (same seed) with zero tables, gradients by tf.variableGrads in the test.
    const ref = tinySetup().model;
    addZerothBiases(ref);
    const names = [...ref.params].filter(([, v]) => v.trainable).map(([n]) => n);
    expect(names.filter((n) => n.includes('zeroth_bias'))).toHaveLength(1);
    const w0 = new Map(names.map((n) => [n, ref.params.get(n)!.dataSync() as Float32Array]));
    const batch = s.batches[0]!;
    const loss = { labelSmoothing, penalty };
    const atW = lossAndGrads(ref, names, batch, loss);
    const e = referencePerturbation(w0, atW.grads, { rho, adaptive: false, eta: 0 });
    setValues(ref, new Map(names.map((n) => [n, Float64Array.from(w0.get(n)!, (x, i) => x + e.get(n)![i]!)])));
    const atPerturbed = lossAndGrads(ref, names, batch, loss);
    // Without label smoothing and the loss term in the ascent, the ascent direction would differ measurably.
    const plainAscent = referencePerturbation(w0, lossAndGrads((setValues(ref, w0), ref), names, batch).grads, { rho, adaptive: false, eta: 0 });
    expect(Math.max(...names.map((n) => maxAbsDiff(plainAscent.get(n)!, e.get(n)!)))).toBeGreaterThan(1e-4);

    const seen = s.read('grads', 0);
    const forward = s.read('forward', 0);
    const backward = s.read('backward', 0);
    const after = new Map(names.map((n) => [n, model.params.get(n)!.dataSync() as Float32Array]));
    let samEffect = 0;
    for (const n of names) {
      // The observed pass ran at w + e (the tables included: they have a nonzero gradient).
      if (n.includes('zeroth_bias')) expect(Math.max(...Array.from(e.get(n)!, Math.abs))).toBeGreaterThan(1e-4);
      expectClose(forward.get(n)!, Float64Array.from(w0.get(n)!, (x, i) => x + e.get(n)![i]!), 1e-6, `w + e ${n}`);
      expectClose(seen.get(n)!, atPerturbed.grads.get(n)!, 2e-5, `grad ${n}`);
      samEffect = Math.max(samEffect, maxAbsDiff(atPerturbed.grads.get(n)!, atW.grads.get(n)!));
      // w is back, bit for bit, by 'afterBackward' and for the optimiser.
      expect(Array.from(backward.get(n)!), n).toEqual(Array.from(w0.get(n)!));
      // AdamW step 1 without decay: w - lr m_hat / (sqrt(v_hat) + eps) = w - lr g / (|g| + eps).
      const want = Float64Array.from(w0.get(n)!, (x, i) => x - (lr * atPerturbed.grads.get(n)![i]!) / (Math.abs(atPerturbed.grads.get(n)![i]!) + epsilon));
      expectClose(after.get(n)!, want, 2e-6, `param ${n}`);
    }
    // The test can tell SAM from plain training: the gradient at w + e differs from the one at w.
    expect(samEffect).toBeGreaterThan(1e-3);
    // One observed pass per step; the logged data loss of a SAM step is at the perturbed point.
    expect(s.passes).toEqual([1]);
    expect(records[0]!.loss).toBeCloseTo(atPerturbed.loss - penalty * 0.5 * globalNorm([forward.get('head.weight')!]) ** 2, 5);
    expect(atPerturbed.loss).toBeGreaterThan(atW.loss);

    ref.dispose();
    model.dispose();
  });

  it('lr = 0: every step perturbs, and the parameters after each step are bit-identical to the start', async () => {
    const { model: initial } = tinySetup();
    const w0 = new Map([...initial.params].map(([n, v]) => [n, Array.from(v.dataSync())]));
    initial.dispose();
    const { model, spy: s } = await train([sam({ rho: 0.05 })], { steps: 3, lr: 0 });
    for (let step = 0; step < 3; step++) {
      const pre = s.read('pre', step);
      const forward = s.read('forward', step);
      expect([...pre.keys()].some((n) => maxAbsDiff(pre.get(n)!, forward.get(n)!) > 1e-5), `step ${step} perturbed`).toBe(true);
    }
    for (const [n, v] of model.params) expect(Array.from(v.dataSync()), n).toEqual(w0.get(n));
    // One observed pass per step, and no tensor growth from step to step.
    expect(s.passes).toEqual([1, 1, 1]);
    expect(new Set(s.counts).size).toBe(1);
    model.dispose();
  });

  it('every: 2 perturbs at steps 0 and 2 only; other steps are plain steps with no extra tensors', async () => {
    const { model, spy: s } = await train([sam({ rho: 0.05, every: 2 })], { steps: 4, lr: 0.01 });
    for (let step = 0; step < 4; step++) {
      const pre = s.read('pre', step);
      const forward = s.read('forward', step);
      const moved = Math.max(...[...pre.keys()].map((n) => maxAbsDiff(pre.get(n)!, forward.get(n)!)));
      if (step % 2 === 0) expect(moved, `step ${step}`).toBeGreaterThan(1e-5);
      else expect(moved, `step ${step}`).toBe(0);
      // Whatever the step, the optimiser sees the unperturbed parameters.
      const backward = s.read('backward', step);
      for (const n of pre.keys()) expect(Array.from(backward.get(n)!), `${n} at step ${step}`).toEqual(Array.from(pre.get(n)!));
    }
    expect(new Set(s.counts).size).toBe(1);
    model.dispose();
  });

  it("ASAM with 'params': only matching parameters move, by rho T^2 g / ||T g|| computed in plain JS", async () => {
    const o = { rho: 0.5, adaptive: true, eta: 0.05 };
    const pattern = '^blocks\\.0\\.mlp\\.';
    const { model, spy: s } = await train([sam({ ...o, params: pattern })], { steps: 1, lr: 0.01 });
    const pre = s.read('pre', 0);
    const forward = s.read('forward', 0);
    const selected = [...pre.keys()].filter((n) => new RegExp(pattern).test(n));
    expect(selected.sort()).toEqual(['blocks.0.mlp.key.bias', 'blocks.0.mlp.key.weight', 'blocks.0.mlp.value.bias', 'blocks.0.mlp.value.weight']);
    for (const n of pre.keys()) if (!selected.includes(n)) expect(Array.from(forward.get(n)!), n).toEqual(Array.from(pre.get(n)!));

    const ref = tinySetup().model;
    const { grads } = lossAndGrads(ref, selected, s.batches[0]!);
    const w = new Map(selected.map((n) => [n, Float64Array.from(pre.get(n)!)]));
    const e = referencePerturbation(w, grads, o);
    for (const n of selected) {
      const moved = Float64Array.from(forward.get(n)!, (x, i) => x - pre.get(n)![i]!);
      expectClose(moved, e.get(n)!, 2e-6, n);
    }
    ref.dispose();
    model.dispose();
  });

  it('a plugin failing inside the observed pass at w + e leaves the model at w, attributed, without leaking', async () => {
    const { model, dataset } = tinySetup();
    const w0 = new Map([...model.params].map(([n, v]) => [n, Array.from(v.dataSync())]));
    const failing: Plugin = { name: 'fails-after-forward', version: '0.0.0', apiVersion: '*', hooks: { afterForward: () => { throw new Error('boom'); } } };
    const host = await PluginHost.create([sam({ rho: 0.5 }), failing]);
    const err = await new Trainer({ model, dataset, host, steps: 2, batchSize: 8, lr: 0.01 }).run().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).plugin).toBe('fails-after-forward');
    for (const [n, v] of model.params) expect(Array.from(v.dataSync()), n).toEqual(w0.get(n));
    await host.dispose();
    model.dispose();
  });
});

/** An update method input over the tiny model's parameters whose passes are recorded (no model run). */
function fakeInput(params: ReadonlyMap<string, tf.Variable>, gradient: (name: string) => tf.Tensor, step = 0) {
  const observed: (ReadonlyMap<string, tf.Tensor> | undefined)[] = [];
  const grads = () => new Map([...params.keys()].map((n) => [n, gradient(n)]));
  const input: UpdateInput = {
    step,
    batch: { inputs: tf.zeros([1]), targets: tf.zeros([1]) },
    params,
    gradient: () => grads(),
    observedGradient: (offsets) => {
      observed.push(offsets);
      return grads();
    },
  };
  return { input, observed };
}

describe.skipIf(!state.available)("plugin 'sam' outside the Trainer", () => {
  it('asks for no perturbation when the gradient is not finite, and for the plain observed gradient off its steps', () => {
    const { model } = tinySetup();
    const trainable = new Map([...model.params].filter(([, v]) => v.trainable));
    const method = sam({ every: 2 }).contributes!.updateMethods![0]!;
    tf.tidy(() => {
      const nan = fakeInput(trainable, (n) => tf.fill(trainable.get(n)!.shape, Number.NaN));
      method.gradients(nan.input);
      expect(nan.observed).toHaveLength(1);
      for (const [n, e] of nan.observed[0]!) expect(Array.from(e.dataSync()).every((x) => x === 0), n).toBe(true);
      const off = fakeInput(trainable, (n) => tf.onesLike(trainable.get(n)!), 1);
      method.gradients(off.input);
      expect(off.observed).toEqual([undefined]);
    });
    model.dispose();
  });

  it("fails in 'modelBuilt', before training, when 'params' matches no trainable parameter", async () => {
    const { model } = tinySetup();
    const host = await PluginHost.create([sam({ params: '^nothing$' })]);
    const err = await host.emit('modelBuilt', { step: 0, model }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).event).toBe('modelBuilt');
    expect((err as Error).message).toContain("'params'");
    expect((err as PluginError).fix).toContain('head.weight');
    await host.dispose();
    model.dispose();
  });

  it('takes one update method per run: a second one is refused when the host is built', async () => {
    const other: Plugin = { name: 'other-update', version: '0.0.0', apiVersion: '*', contributes: { updateMethods: [{ name: 'other', gradients: (input) => input.observedGradient() }] } };
    const err = await PluginHost.create([sam(), other]).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UpdateMethodConflictError);
    expect((err as UpdateMethodConflictError).code).toBe('E_UPDATE_METHOD_CONFLICT');
    expect((err as Error).message).toContain("'other' (plugin 'other-update') and 'sam' (plugin 'sam')");
  });

  it.each([
    ['never calls observedGradient()', (input: UpdateInput) => input.gradient(), /returned without calling observedGradient\(\)/],
    ['calls observedGradient() twice', (input: UpdateInput) => (input.observedGradient(), input.observedGradient()), /observedGradient\(\) was called twice/],
  ])('an update method that %s fails the step, attributed to its plugin', async (_what, gradients, message) => {
    const { model, dataset } = tinySetup();
    const plugin: Plugin = { name: 'bad-update', version: '0.0.0', apiVersion: '*', contributes: { updateMethods: [{ name: 'bad', gradients }] } };
    const host = await PluginHost.create([plugin]);
    const before = tf.memory().numTensors;
    const err = await new Trainer({ model, dataset, host, steps: 1, batchSize: 8, lr: 0.01 }).run().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).plugin).toBe('bad-update');
    expect((err as PluginError).event).toBe("update method 'bad'");
    expect(String((err as PluginError).cause)).toMatch(message);
    expect(tf.memory().numTensors).toBe(before);
    await host.dispose();
    model.dispose();
  });

  it.each([
    [{ rho: 0 }, 'rho'],
    [{ rho: -0.1 }, 'rho'],
    [{ rho: Number.POSITIVE_INFINITY }, 'rho'],
    [{ adaptive: 'yes' }, 'adaptive'],
    [{ eta: -1 }, 'eta'],
    [{ every: 0 }, 'every'],
    [{ every: 1.5 }, 'every'],
    [{ params: '(' }, 'params'],
    [{ labelSmoothing: 0.1 }, 'labelSmoothing'],
    [{ radius: 0.1 }, 'radius'],
  ])('rejects %j with E_PLUGIN_INVALID naming %s', (options, option) => {
    const err = thrown(() => sam(options as SamOptions));
    expect(err).toBeInstanceOf(PluginInvalidError);
    expect((err as PluginInvalidError).code).toBe('E_PLUGIN_INVALID');
    expect((err as PluginInvalidError).plugin).toBe('sam');
    expect((err as Error).message).toContain(`'${option}'`);
  });

  it('is a plain plugin object contributing one update method, with no permission to write parameters', () => {
    const plugin = sam();
    expect(plugin.name).toBe('sam');
    expect(plugin.permissions).toBeUndefined();
    expect(plugin.contributes?.updateMethods?.map((u) => u.name)).toEqual(['sam']);
  });
});
