import type { PipelineConfigInput } from './config/config-schema.js';
import { TASKS } from './reproduce/tasks.js';

/** The demo's model: the reproduction's ViT at half its width and depth (about 4x cheaper a step). */
export const DEMO_MODEL = { kind: 'vit', patch: 7, d: 32, depth: 2, heads: 2, mlpWidth: 128, init: 'xavier' } as const;
/** Steps per run of the demo (each of 2 arms x 3 seeds). */
export const DEMO_STEPS = 1500;
/** Seeds of the demo: three, so that the comparison has a spread and a test. */
export const DEMO_SEEDS = [0, 1, 2] as const;

/**
 * The main job's base config for one seed: the reproduction's ViT/MNIST task under the authors'
 * recipe (AdamW 2e-3 cosine, weight decay 0.3 on every parameter, label smoothing 0.11, shifts of 2
 * pixels, clipping at 1; `reproduce/tasks.ts`), with the smaller DEMO_MODEL and DEMO_STEPS steps, so
 * that 2 arms x 3 seeds finish in about 4 minutes on 2 cores. The held-out evaluation runs every 500
 * steps (and at the end).
 */
export function demoConfig(steps = DEMO_STEPS, seed = 0): PipelineConfigInput & { model: { d: number; depth: number; mlpWidth: number }; train: { steps: number } } {
  const task = TASKS.find((t) => t.name === 'vit-mnist')!;
  const base = task.config(seed, { quick: false, recipe: 'authors' });
  return {
    ...base,
    name: `demo-vit-mnist-s${seed}`,
    backend: 'auto',
    model: { ...DEMO_MODEL },
    train: { ...base.train, steps, evalEvery: Math.max(1, Math.min(500, steps)), logEvery: Math.max(1, Math.min(50, Math.floor(steps / 10))) },
  };
}
