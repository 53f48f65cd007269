import { nativeBackend, NATIVE_TFJS_NAME } from '@flatsparse/backend-native';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { runPipeline, type ModelSpec, type TrainerRecord } from '@flatsparse/core';
import { countTensors, FusedKernel, hasFusedKernel, type Backend, type Dataset, type Plugin } from '@flatsparse/plugin-api';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import { syntheticImageDataset, syntheticTextDataset } from '@flatsparse/data';
import { activationSparsity, augmentedFlatness, deadNeurons, derivativeSparsity, relu, sparsified } from '@flatsparse/plugins';
import { beforeAll, describe, expect, it } from 'vitest';

// The same short runs (fixed seed, every step logged) on wasm and on the native backend, in one
// process: a sparsified ViT (the three methods, J-SquaredReLU) and a plain GPT. Tolerances as for
// WebGPU (test/backend-webgpu/cross-backend-training.test.ts): losses within 1e-3 relative per step,
// sparsities within 2e-3 absolute per step and layer (a value within rounding of a knee may flip),
// augmented flatness c0 within 1e-3 relative. The native run must really use its fused kernels.
const STEPS = 20;
const LOSS_RTOL = 1e-3;
const SPARSITY_ATOL = 2e-3;
const FLATNESS_RTOL = 1e-3;

interface Outcome {
  readonly records: TrainerRecord[];
  readonly backend: string;
  readonly fused: boolean;
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
}

async function train(backend: Backend, model: ModelSpec, dataset: Dataset, plugins: Plugin[], activation: string): Promise<Outcome> {
  const records: TrainerRecord[] = [];
  let fused = false;
  let name = '';
  let tensorsBefore = 0;
  const probe: Plugin = { name: 'fused-probe', version: '0.0.0', apiVersion: '*', hooks: { afterStep: () => void (fused ||= hasFusedKernel(FusedKernel.Attention)) } };
  await runPipeline({
    backends: [backend],
    backend: backend.name,
    seed: 5,
    plugins: [...plugins, activationSparsity(), derivativeSparsity(), deadNeurons(), augmentedFlatness(), probe],
    dataset,
    model,
    activation,
    metrics: ['activation-sparsity', 'derivative-sparsity', 'dead-neurons', 'augmented-flatness'],
    train: { steps: STEPS, batchSize: 16, lr: 3e-3, logEvery: 1, clipNorm: 1, labelSmoothing: 0.1 },
    onStart: ({ backend: info }) => {
      name = info.tfjsName;
      tensorsBefore = countTensors();
    },
    onRecord: (r) => void records.push(r),
  });
  return { records: records.filter((r) => r.split === 'train'), backend: name, fused, tensorsBefore, tensorsAfter: countTensors() };
}

const native = nativeBackend();
const availability = await safeAvailability(native);
if (!availability.available) console.warn(`[skip] backend 'native' is not available: ${availability.reason} Fix: ${availability.fix}`);

const RUNS = {
  'sparsified ViT': { model: { kind: 'vit', config: { patch: 4, d: 16, depth: 2, heads: 2, mlpWidth: 32 } } as ModelSpec, data: () => syntheticImageDataset({ classes: 3, imageSize: 8, trainSize: 96, heldOutSize: 16, seed: 4 }), plugins: () => sparsified(), activation: 'j-squared-relu' },
  GPT: { model: { kind: 'gpt', config: { d: 16, depth: 2, heads: 2, mlpWidth: 48 } } as ModelSpec, data: () => syntheticTextDataset({ seqLen: 12, trainSize: 400, heldOutSize: 40, seed: 2 }), plugins: () => [relu()], activation: 'relu' },
} as const;

describe.skipIf(!availability.available).each(Object.keys(RUNS) as (keyof typeof RUNS)[])('%s: the same curves on native and wasm', (label) => {
  let reference: Outcome;
  let fast: Outcome;
  beforeAll(async () => {
    const r = RUNS[label];
    reference = await train(wasmBackend(), r.model, r.data(), r.plugins(), r.activation);
    fast = await train(native, r.model, r.data(), r.plugins(), r.activation);
  }, 240_000);

  it('ran on each backend, the native one on its fused kernels, logging every step', () => {
    expect([reference.backend, fast.backend]).toEqual(['wasm', NATIVE_TFJS_NAME]);
    expect([reference.fused, fast.fused]).toEqual([false, true]);
    expect(fast.records.map((r) => r.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i));
  });

  it(`gives the same loss curve (relative ${LOSS_RTOL} per step)`, () => {
    const errors = fast.records.map((r, i) => Math.abs(r.loss - reference.records[i]!.loss) / Math.abs(reference.records[i]!.loss));
    console.info(`[cross-backend native] ${label} loss: max relative difference ${Math.max(...errors).toExponential(2)} over ${STEPS} steps`);
    expect(Math.max(...errors)).toBeLessThanOrEqual(LOSS_RTOL);
  });

  it.each(['activation-sparsity.value', 'derivative-sparsity.value', 'dead-neurons.value'])(`gives the same %s per layer (absolute ${SPARSITY_ATOL})`, (figure) => {
    let worst = 0;
    fast.records.forEach((r, i) => r.figures[figure]!.perLayer.forEach((v, layer) => (worst = Math.max(worst, Math.abs(v - reference.records[i]!.figures[figure]!.perLayer[layer]!)))));
    console.info(`[cross-backend native] ${label} ${figure}: max difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(SPARSITY_ATOL);
  });

  it(`gives the same augmented flatness c0 (relative ${FLATNESS_RTOL})`, () => {
    let worst = 0;
    fast.records.forEach((r, i) => {
      const got = r.figures['augmented-flatness.c0']!.mean;
      const want = reference.records[i]!.figures['augmented-flatness.c0']!.mean;
      worst = Math.max(worst, Math.abs(got - want) / Math.abs(want));
    });
    expect(worst).toBeLessThanOrEqual(FLATNESS_RTOL);
  });

  it('leaves the tensor count at its baseline', () => {
    expect(fast.tensorsAfter).toBeLessThanOrEqual(fast.tensorsBefore);
  });
});
