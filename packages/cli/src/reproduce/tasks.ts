import type { PipelineConfigInput } from '../config/config-schema.js';

/** A reproduction task: a base config (vanilla ReLU) and how to judge its quality. */
export interface Task {
  readonly name: string;
  readonly description: string;
  /** 'accuracy' (higher is better, ViT) or 'loss' (lower is better, GPT). */
  readonly quality: 'accuracy' | 'loss';
  /** The base config for a seed; quick runs are a minute or two in all. */
  config(seed: number, quick: boolean): PipelineConfigInput;
}

const metrics = ['activation-sparsity', 'derivative-sparsity', 'dead-neurons', 'augmented-flatness'];

/** The two tasks of the reproduction, scaled down from ViT-B/16 on ImageNet and T5 on C4. */
export const TASKS: readonly Task[] = [
  {
    name: 'vit-mnist',
    description: 'pre-LN ViT on MNIST digits (patch 7: 17 tokens), classification',
    quality: 'accuracy',
    config: (seed, quick) => ({
      name: `vit-mnist-s${seed}`,
      seed,
      model: quick ? { kind: 'vit', patch: 7, d: 32, depth: 2, heads: 2, mlpWidth: 128 } : { kind: 'vit', patch: 7, d: 64, depth: 4, heads: 4, mlpWidth: 256 },
      activation: 'relu',
      data: { source: 'mnist', trainSize: quick ? 1000 : 8000, heldOutSize: quick ? 250 : 2000, seed },
      metrics,
      train: {
        steps: quick ? 40 : 400,
        batchSize: quick ? 32 : 64,
        lr: { kind: 'cosine', lr: 2e-3, warmupSteps: quick ? 4 : 40 },
        optimizer: { weightDecay: 0.05 },
        clipNorm: 1,
        logEvery: quick ? 10 : 20,
        evalEvery: quick ? 20 : 200,
        evalBatchSize: quick ? 125 : 250,
      },
      output: { saveModel: false },
    }),
  },
  {
    name: 'gpt-moby-dick',
    description: 'decoder-only GPT on Moby Dick bytes (64-byte windows), next-byte prediction',
    quality: 'loss',
    config: (seed, quick) => ({
      name: `gpt-moby-dick-s${seed}`,
      seed,
      model: quick ? { kind: 'gpt', d: 32, depth: 2, heads: 2, mlpWidth: 128 } : { kind: 'gpt', d: 64, depth: 2, heads: 4, mlpWidth: 256 },
      activation: 'relu',
      data: { source: 'moby-dick', seqLen: quick ? 32 : 64, trainSize: quick ? 1000 : 12000, heldOutSize: quick ? 128 : 512, seed },
      metrics,
      train: {
        steps: quick ? 40 : 200,
        batchSize: quick ? 16 : 32,
        lr: { kind: 'inverseSqrt', lr: 3e-3, warmupSteps: quick ? 4 : 40 },
        optimizer: { weightDecay: 0.001 },
        clipNorm: 1,
        logEvery: quick ? 10 : 20,
        evalEvery: quick ? 20 : 200,
        evalBatchSize: quick ? 64 : 128,
      },
      output: { saveModel: false },
    }),
  },
];
