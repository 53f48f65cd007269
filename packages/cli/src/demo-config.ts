import type { PipelineConfigInput } from './config/config-schema.js';

/**
 * The main job's base config: a small pre-LN ViT on MNIST digits with ReLU, trained briefly on the
 * embedded default backend while activation sparsity, derivative sparsity and augmented flatness are
 * measured; the demo runs it as the baseline and with the paper's methods. Sized so that both arms
 * finish in a few minutes on 2 CPU cores.
 */
export function demoConfig(steps = 300): PipelineConfigInput & { model: { d: number; depth: number; mlpWidth: number }; train: { steps: number } } {
  return {
    name: 'demo-vit-mnist-relu',
    seed: 0,
    backend: 'auto',
    model: { kind: 'vit', patch: 7, d: 64, depth: 4, heads: 4, mlpWidth: 256 },
    activation: 'relu',
    data: { source: 'mnist', trainSize: 6000, heldOutSize: 1000, seed: 0 },
    train: {
      steps,
      batchSize: 64,
      lr: { kind: 'cosine', lr: 2e-3, warmupSteps: Math.min(30, Math.floor(steps / 10)) },
      optimizer: { weightDecay: 0.05 },
      clipNorm: 1,
      logEvery: 10,
      evalEvery: 100,
      evalBatches: 8,
      evalBatchSize: 125,
    },
  };
}
