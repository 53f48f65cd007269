import { Rng, type ActivationContext, type ActivationFunction, type MlpCapture, type Plugin } from '@flatsparse/plugin-api';
import { PluginHost } from '@flatsparse/plugin-api/host';
import { fakeCaptures, fakeModel, reluForTests } from '@flatsparse/plugin-api/testing';
import * as tf from '@tensorflow/tfjs-core';

/** Sizes of the captures and the fake model: 2 blocks, d 8, n 32, batch 4, 6 tokens (768 activations a block). */
const MODEL = { d: 8, n: 32, blocks: 2 } as const;
const CAPTURES = { batch: 4, tokens: 6 } as const;
const PARTS = ['x', 'p', 'a', 'z', 'dz', 'da', 'dp'] as const;
const CONTEXTS: readonly ActivationContext[] = [{ step: 0, training: true }, { step: 5, training: true }, { step: 100_000, training: false }];

/** One capture read back to plain arrays, so every backend rebuilds exactly the same tensors. */
interface CaptureSnapshot {
  readonly capture: MlpCapture;
  readonly values: Readonly<Record<(typeof PARTS)[number], { data: Float32Array; shape: number[] }>>;
}

/** Captures per activation ('' is the suite's plain ReLU), read back on the active backend. */
export type CaptureSet = ReadonlyMap<string, readonly CaptureSnapshot[]>;

/** Builds the synthetic captures (with ReLU and with each activation of the plugins) and reads them back. */
export async function snapshotCaptures(plugins: readonly Plugin[]): Promise<CaptureSet> {
  const set = new Map<string, CaptureSnapshot[]>();
  const activations: [string, ActivationFunction][] = [['', reluForTests], ...plugins.flatMap((p) => (p.contributes?.activations ?? []).map((a): [string, ActivationFunction] => [a.name, a]))];
  for (const [key, activation] of activations) {
    if (set.has(key)) continue;
    const model = fakeModel(MODEL);
    const fx = fakeCaptures({ ...CAPTURES, model, activation });
    const snaps: CaptureSnapshot[] = [];
    for (const capture of fx.captures) {
      const values = {} as Record<(typeof PARTS)[number], { data: Float32Array; shape: number[] }>;
      for (const part of PARTS) values[part] = { data: Float32Array.from(await capture[part]!.data()), shape: [...capture[part]!.shape] };
      snaps.push({ capture, values });
    }
    fx.dispose();
    model.dispose();
    set.set(key, snaps);
  }
  return set;
}

function rebuild(snaps: readonly CaptureSnapshot[], withGradients: boolean): { captures: MlpCapture[]; dispose(): void } {
  const owned: tf.Tensor[] = [];
  const captures = snaps.map(({ capture, values }) => {
    const t = (part: (typeof PARTS)[number]): tf.Tensor => {
      const tensor = tf.tensor(values[part].data, values[part].shape);
      owned.push(tensor);
      return tensor;
    };
    const base = { block: capture.block, activation: capture.activation, training: capture.training, x: t('x'), p: t('p'), a: t('a'), z: t('z') };
    return withGradients ? { ...base, dz: t('dz'), da: t('da'), dp: t('dp') } : base;
  });
  return { captures, dispose: () => owned.forEach((x) => x.dispose()) };
}

async function read(t: tf.Tensor): Promise<number[]> {
  try {
    return Array.from(await t.data());
  } finally {
    t.dispose();
  }
}

/**
 * Every figure a plugin produces on the active backend, by name: each activation's apply and
 * derivative at 64 fixed points in three contexts; each metric on every block of the snapshot
 * captures (with gradients, and forward only unless it needs gradients), with ReLU and with the
 * plugin's own activations; each regularizer's loss term and every parameter after its projection
 * on a fake model after the plugin's modelBuilt hooks; and the output of every MLP transform added.
 */
export async function pluginFigures(factory: () => Plugin, set: CaptureSet): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const plugin = factory();
  const rng = new Rng(5);
  const points = [...Array.from({ length: 48 }, (_, i) => -4 + (8 * i) / 47), ...Array.from({ length: 16 }, () => 2 * rng.normal())];
  for (const act of plugin.contributes?.activations ?? []) {
    for (const ctx of CONTEXTS) {
      out.set(`activation ${act.name} apply ${JSON.stringify(ctx)}`, await read(tf.tidy(() => act.apply(tf.tensor1d(points), ctx))));
      out.set(`activation ${act.name} derivative ${JSON.stringify(ctx)}`, await read(tf.tidy(() => act.derivative(tf.tensor1d(points), ctx))));
    }
  }
  // Plugins with a modelBuilt hook (their metrics read the model they are bound to, as
  // layer-norm-scale does; their regularizers act on it) get a fake model first.
  const needsModel = (plugin.contributes?.regularizers?.length ?? 0) > 0 || plugin.hooks?.modelBuilt !== undefined || plugin.setup !== undefined;
  const model = needsModel ? fakeModel(MODEL) : undefined;
  const host = needsModel ? await PluginHost.create([plugin]) : undefined;
  try {
  if (model !== undefined) await host!.emit('modelBuilt', { step: 0, model });
  for (const metric of host?.contributions.metrics.all().map((c) => c.value) ?? plugin.contributes?.metrics ?? []) {
    for (const key of ['', ...(plugin.contributes?.activations ?? []).map((a) => a.name)]) {
      for (const withGradients of metric.needsGradients ? [true] : [true, false]) {
        const built = rebuild(set.get(key)!, withGradients);
        for (const capture of built.captures) {
          const figures = tf.tidy(() => metric.compute(capture));
          for (const [name, value] of Object.entries(figures)) out.set(`metric ${metric.name}.${name} [${key || 'relu'}, ${withGradients ? 'grads' : 'forward'}, block ${capture.block.index}]`, await read(value));
        }
        built.dispose();
      }
    }
  }
  if (model !== undefined && host !== undefined) {
    const built = rebuild(set.get('')!, false);
    try {
      for (const { value: reg } of host.contributions.regularizers.all()) {
        if (reg.lossTerm) out.set(`regularizer ${reg.name} lossTerm`, await read(tf.tidy(() => reg.lossTerm!({ step: 1, model, captures: built.captures }))));
        if (reg.project) tf.tidy(() => reg.project!(model, 1));
      }
      for (const [name, v] of [...model.params].sort(([a], [b]) => a.localeCompare(b))) out.set(`param ${name}`, Array.from(await v.data()));
      for (const { blockIndex, stage } of model.transforms) {
        out.set(`transform block ${blockIndex} ${stage}`, await read(model.runTransforms(blockIndex, stage, built.captures[blockIndex]!.x)));
      }
    } finally {
      built.dispose();
    }
  }
  } finally {
    await host?.dispose();
    model?.dispose();
  }
  return out;
}
