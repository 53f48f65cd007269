import { wasmBackend } from '@flatsparse/backend-wasm';
import { runPipeline, type ModelSpec, type TrainerRecord } from '@flatsparse/core';
import { type Plugin } from '@flatsparse/plugin-api';
import { syntheticImageDataset, syntheticTextDataset } from '@flatsparse/data';
import * as tf from '@tensorflow/tfjs-core';

/** Parameter values read back, by name. */
export type Snapshot = Map<string, Float32Array>;

/** What a recorder saw during a run, read back after it. */
export interface Recording {
  /** Every parameter after 'modelBuilt' (after the other plugins' modelBuilt hooks). */
  readonly initial: Snapshot;
  /** Trainable flags after 'modelBuilt'. */
  readonly trainableInitially: Map<string, boolean>;
  /** Selected parameters after every step (after the projections), indexed by step. */
  readonly steps: Snapshot[];
  /** Trainable flags after the last step. */
  readonly trainableFinally: Map<string, boolean>;
  /** The inputs of every training batch, flattened. */
  readonly batches: Float32Array[];
}

/**
 * A test plugin that copies (on the device, no read-back inside a step) every parameter after
 * 'modelBuilt', the selected parameters after every step and every training batch; `read()` reads
 * everything back after the run and disposes the copies.
 */
export function recorder(select: (name: string) => boolean = () => true): { plugin: Plugin; read(): Promise<Recording> } {
  let initial = new Map<string, tf.Tensor>();
  const steps: Map<string, tf.Tensor>[] = [];
  const batches: tf.Tensor[] = [];
  const trainableInitially = new Map<string, boolean>();
  const trainableFinally = new Map<string, boolean>();
  const copy = (t: tf.Tensor): tf.Tensor => tf.keep(tf.clone(t));
  const plugin: Plugin = {
    name: 'methods-test-recorder',
    permissions: { keepTensors: true },
    version: '0.0.0',
    apiVersion: '*',
    hooks: {
      modelBuilt: {
        order: 'post',
        handler: ({ model }) => {
          initial = new Map([...model.params].map(([k, v]) => [k, copy(v)]));
          for (const [k, v] of model.params) trainableInitially.set(k, v.trainable);
        },
      },
      beforeForward: ({ batch }) => void batches.push(copy(batch.inputs)),
      afterStep: {
        order: 'post',
        handler: ({ model, step }) => {
          steps[step] = new Map([...model.params].filter(([k]) => select(k)).map(([k, v]) => [k, copy(v)]));
          for (const [k, v] of model.params) trainableFinally.set(k, v.trainable);
        },
      },
    },
  };
  const readMap = async (m: Map<string, tf.Tensor>): Promise<Snapshot> => {
    const out: Snapshot = new Map();
    for (const [k, t] of m) {
      out.set(k, Float32Array.from(await t.data()));
      t.dispose();
    }
    return out;
  };
  return {
    plugin,
    async read() {
      const readSteps: Snapshot[] = [];
      for (const s of steps) readSteps.push(await readMap(s));
      const readBatches: Float32Array[] = [];
      for (const b of batches) {
        readBatches.push(Float32Array.from(await b.data()));
        b.dispose();
      }
      return { initial: await readMap(initial), trainableInitially, steps: readSteps, trainableFinally, batches: readBatches };
    },
  };
}

/** A tiny ViT spec (d 16, 2 blocks, 8x8 images in 4x4 patches: 5 tokens) and its synthetic data. */
export const TINY_VIT: ModelSpec = { kind: 'vit', config: { patch: 4, d: 16, depth: 2, heads: 2, mlpWidth: 32 } };
/** A tiny GPT spec (d 16, 2 blocks); the data has sequences of 8 tokens. */
export const TINY_GPT: ModelSpec = { kind: 'gpt', config: { d: 16, depth: 2, heads: 2, mlpWidth: 32 } };

/** Options of a short run. */
export interface ShortRun {
  readonly plugins: readonly Plugin[];
  readonly activation: string;
  readonly kind?: 'vit' | 'gpt';
  readonly steps?: number;
  readonly lr?: number;
  readonly seed?: number;
  readonly metrics?: readonly string[];
}

/** A short training run on the wasm backend (tiny ViT or GPT, synthetic data, batch 16, log every step). */
export async function shortRun(o: ShortRun): Promise<TrainerRecord[]> {
  const records: TrainerRecord[] = [];
  const kind = o.kind ?? 'vit';
  await runPipeline({
    backends: [wasmBackend()],
    backend: 'wasm',
    seed: o.seed ?? 3,
    plugins: o.plugins,
    dataset: kind === 'vit' ? syntheticImageDataset({ classes: 3, imageSize: 8, trainSize: 64, heldOutSize: 16 }) : syntheticTextDataset({ vocabSize: 12, seqLen: 8, trainSize: 64, heldOutSize: 16 }),
    model: kind === 'vit' ? TINY_VIT : TINY_GPT,
    activation: o.activation,
    metrics: o.metrics ?? [],
    train: { steps: o.steps ?? 5, batchSize: 16, lr: o.lr ?? 0.1, logEvery: 1 },
    onRecord: (r) => void records.push(r),
  });
  return records;
}
