import type { TrainerRecord } from '@flatsparse/core';

/** What one seed of one arm produced. */
export interface SeedResult {
  readonly seed: number;
  readonly records: readonly TrainerRecord[];
  readonly runDir: string;
}

/** Mean and sample standard deviation over seeds. */
export interface Stat {
  readonly mean: number;
  readonly std: number;
  readonly n: number;
}

/** The figures the reproduction compares, per arm (means over seeds). */
export interface ArmSummary {
  readonly arm: string;
  readonly quality: Stat;
  readonly trainActivationSparsity: Stat;
  readonly inferenceActivationSparsity: Stat;
  readonly trainDerivativeSparsity: Stat;
  readonly inferenceDerivativeSparsity: Stat;
  /** Vanilla-relative changes (filled in by `compareToVanilla`). */
  readonly vsVanilla?: {
    readonly inferenceSparsityGain: number;
    readonly inferenceDensityReduction: number;
    readonly trainSparsityGain: number;
    readonly trainDensityReduction: number;
    readonly qualityChange: number;
  };
  /** AS_K, c0 and their ratio against steps, averaged over seeds and layers. */
  readonly curves: Readonly<Record<'asK' | 'c0' | 'ratio' | 'trainActivationSparsity', readonly (readonly [number, number])[]>>;
}

/** Mean and standard deviation of the values. */
export function stat(values: readonly number[]): Stat {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

const figure = (r: TrainerRecord | undefined, name: string) => r?.figures[name]?.mean ?? Number.NaN;

/**
 * Summarises the seeds of one arm. Inference figures come from the final held-out evaluation;
 * training figures are averaged over the train records of the last 10 % of steps (minibatch figures
 * are noisy). quality: held-out accuracy or held-out loss.
 */
export function summariseArm(arm: string, seeds: readonly SeedResult[], quality: 'accuracy' | 'loss'): ArmSummary {
  const finalHeld = seeds.map((s) => [...s.records].reverse().find((r) => r.split === 'heldOut'));
  const lateTrain = seeds.map((s) => {
    const train = s.records.filter((r) => r.split === 'train');
    const last = train[train.length - 1]?.step ?? 0;
    return train.filter((r) => r.step >= last * 0.9);
  });
  const lateMean = (name: string) => lateTrain.map((rs) => rs.reduce((a, r) => a + figure(r, name), 0) / Math.max(rs.length, 1));
  const curve = (name: string) => {
    const bySteps = new Map<number, number[]>();
    for (const s of seeds) for (const r of s.records) if (r.split === 'train' && r.figures[name]) bySteps.set(r.step, [...(bySteps.get(r.step) ?? []), r.figures[name]!.mean]);
    return [...bySteps].sort((a, b) => a[0] - b[0]).map(([step, vs]) => [step, vs.reduce((a, b) => a + b, 0) / vs.length] as const);
  };
  return {
    arm,
    quality: stat(finalHeld.map((r) => (quality === 'accuracy' ? r?.accuracy ?? Number.NaN : r?.loss ?? Number.NaN))),
    trainActivationSparsity: stat(lateMean('activationSparsity.value')),
    inferenceActivationSparsity: stat(finalHeld.map((r) => figure(r, 'activationSparsity.value'))),
    trainDerivativeSparsity: stat(lateMean('derivativeSparsity.value')),
    inferenceDerivativeSparsity: stat(finalHeld.map((r) => figure(r, 'derivativeSparsity.value'))),
    curves: {
      asK: curve('augmentedFlatness.asK'),
      c0: curve('augmentedFlatness.c0'),
      ratio: curve('augmentedFlatness.ratio'),
      trainActivationSparsity: curve('activationSparsity.value'),
    },
  };
}

/** Adds the changes relative to the vanilla arm: sparsity gain s/s_v - 1 and density reduction 1 - d/d_v. */
export function compareToVanilla(arms: readonly ArmSummary[], quality: 'accuracy' | 'loss'): ArmSummary[] {
  const vanilla = arms.find((a) => a.arm === 'vanilla');
  if (!vanilla) return [...arms];
  const gain = (s: number, v: number) => s / v - 1;
  const densityReduction = (s: number, v: number) => 1 - (1 - s) / (1 - v);
  return arms.map((a) => ({
    ...a,
    vsVanilla: {
      inferenceSparsityGain: gain(a.inferenceActivationSparsity.mean, vanilla.inferenceActivationSparsity.mean),
      inferenceDensityReduction: densityReduction(a.inferenceActivationSparsity.mean, vanilla.inferenceActivationSparsity.mean),
      trainSparsityGain: gain(a.trainActivationSparsity.mean, vanilla.trainActivationSparsity.mean),
      trainDensityReduction: densityReduction(a.trainActivationSparsity.mean, vanilla.trainActivationSparsity.mean),
      qualityChange: quality === 'accuracy' ? a.quality.mean - vanilla.quality.mean : a.quality.mean / vanilla.quality.mean - 1,
    },
  }));
}
