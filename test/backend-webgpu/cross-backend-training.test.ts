import { wasmBackend } from '@flatsparse/backend-wasm';
import { webgpuBackend, webgpuStatus } from '@flatsparse/backend-webgpu';
import { runPipeline, type ModelSpec, type TrainerRecord } from '@flatsparse/core';
import { countTensors, type Backend, type Plugin } from '@flatsparse/plugin-api';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import { syntheticImageDataset } from '@flatsparse/data';
import { activationSparsity, derivativeSparsity, sparsified } from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';

// A short training run (fixed seed, 24 steps, tiny ViT with the sparsified preset) on wasm, then on
// WebGPU, in one process (each run selects, initialises and disposes its backend). Tolerances:
// losses within 1e-3 relative per step (float32 rounding differences grow with every AdamW step;
// about 2e-7 after 24 steps on SwiftShader); activation- and derivative-sparsity within 2e-3
// absolute per step and layer (fractions of 2,560 values: 16 images x 5 tokens x 32 neurons; a few
// values whose pre-activation sits within rounding of the knee may flip).
const STEPS = 24;
const LOSS_RTOL = 1e-3;
const SPARSITY_ATOL = 2e-3;
const TINY_VIT: ModelSpec = { kind: 'vit', config: { patch: 4, d: 16, depth: 2, heads: 2, mlpWidth: 32 } };

interface Outcome {
  readonly records: TrainerRecord[];
  /** Synchronous GPU read-backs counted by the WebGPU backend between 'modelBuilt' and 'end' (webgpu only). */
  readonly gpuSyncReads: number;
  /** Calls of tensor.dataSync/arraySync/bufferSync. */
  readonly tensorSyncReads: number;
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
  readonly backend: string;
}

async function train(backend: Backend): Promise<Outcome> {
  const records: TrainerRecord[] = [];
  const status: number[] = [];
  const probe: Plugin = {
    name: 'sync-read-probe',
    version: '0.0.0',
    apiVersion: '*',
    hooks: { modelBuilt: () => void status.push(webgpuStatus().syncReads), end: () => void status.push(webgpuStatus().syncReads) },
  };
  const tensorSpies = (['dataSync', 'arraySync', 'bufferSync'] as const).map((m) => vi.spyOn(tf.Tensor.prototype, m));
  let tensorsBefore = 0;
  let name = '';
  await runPipeline({
    backends: [backend],
    backend: backend.name,
    seed: 3,
    plugins: [...sparsified(), activationSparsity(), derivativeSparsity(), probe],
    dataset: syntheticImageDataset({ classes: 3, imageSize: 8, trainSize: 96, heldOutSize: 16, seed: 4 }),
    model: TINY_VIT,
    activation: 'j-squared-relu',
    metrics: ['activation-sparsity', 'derivative-sparsity'],
    train: { steps: STEPS, batchSize: 16, lr: 3e-3, logEvery: 1 },
    onStart: ({ backend: info }) => {
      name = info.tfjsName;
      tensorsBefore = countTensors();
    },
    onRecord: (r) => void records.push(r),
  });
  const tensorSyncReads = tensorSpies.reduce((n, s) => n + s.mock.calls.length, 0);
  tensorSpies.forEach((s) => s.mockRestore());
  return { records: records.filter((r) => r.split === 'train'), gpuSyncReads: status[1]! - status[0]!, tensorSyncReads, tensorsBefore, tensorsAfter: countTensors(), backend: name };
}

const webgpu = webgpuBackend({ allowSoftware: true });
const availability = await safeAvailability(webgpu);
if (!availability.available) console.warn(`[skip] backend 'webgpu' is not available: ${availability.reason} Fix: ${availability.fix}`);

describe.skipIf(!availability.available)('a short sparsified ViT run: same curves on webgpu and wasm', () => {
  let reference: Outcome;
  let onWebgpu: Outcome;
  beforeAll(async () => {
    reference = await train(wasmBackend());
    onWebgpu = await train(webgpu);
  }, 240_000);

  it('ran on each backend, logging every step', () => {
    expect([reference.backend, onWebgpu.backend]).toEqual(['wasm', 'webgpu']);
    expect(onWebgpu.records.map((r) => r.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i));
    expect(reference.records.map((r) => r.step)).toEqual(onWebgpu.records.map((r) => r.step));
  });

  it(`gives the same loss curve (relative ${LOSS_RTOL} per step), and the loss goes down`, () => {
    const errors = onWebgpu.records.map((r, i) => Math.abs(r.loss - reference.records[i]!.loss) / Math.abs(reference.records[i]!.loss));
    console.info(`[cross-backend] loss: max relative difference ${Math.max(...errors).toExponential(2)} over ${STEPS} steps`);
    expect(Math.max(...errors)).toBeLessThanOrEqual(LOSS_RTOL);
    const first = onWebgpu.records.slice(0, 5).reduce((s, r) => s + r.loss, 0);
    const last = onWebgpu.records.slice(-5).reduce((s, r) => s + r.loss, 0);
    expect(last).toBeLessThan(first);
  });

  it.each(['activation-sparsity.value', 'derivative-sparsity.value'])(`gives the same %s curve per layer (absolute ${SPARSITY_ATOL} per step)`, (figure) => {
    let worst = 0;
    onWebgpu.records.forEach((r, i) => {
      const got = r.figures[figure]!.perLayer;
      const want = reference.records[i]!.figures[figure]!.perLayer;
      expect(got).toHaveLength(2);
      got.forEach((v, layer) => (worst = Math.max(worst, Math.abs(v - want[layer]!))));
    });
    console.info(`[cross-backend] ${figure}: max difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(SPARSITY_ATOL);
  });

  it('never reads back synchronously: no dataSync/arraySync/bufferSync, and no read-back from the WebGPU device in between', () => {
    expect(onWebgpu.tensorSyncReads).toBe(0);
    expect(reference.tensorSyncReads).toBe(0);
    expect(onWebgpu.gpuSyncReads).toBe(0);
  });

  it('releases every tensor and GPU buffer: the tensor count is back at its baseline, the device gone', () => {
    expect(onWebgpu.tensorsAfter).toBeLessThanOrEqual(onWebgpu.tensorsBefore);
    expect(webgpuStatus().active).toBe(false);
  });
});
