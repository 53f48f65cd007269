import type { TrainerRecord } from '@flatsparse/core';

/** What one seed of one arm produced. */
export interface SeedResult {
  readonly seed: number;
  readonly records: readonly TrainerRecord[];
  readonly runDir: string;
}

/** Mean and sample standard deviation over seeds, with the values (for tests of the difference). */
export interface Stat {
  readonly mean: number;
  readonly std: number;
  readonly n: number;
  readonly values: readonly number[];
}

/** The curves of an arm: [step, value] pairs averaged over seeds (and over layers). */
export type CurveName =
  | 'asK'
  | 'c0'
  | 'ratio'
  | 'trainActivationSparsity'
  | 'inferenceActivationSparsity'
  | 'layerNormScale'
  | 'layerNormAtBound'
  | 'zerothBiasAtBound'
  | 'activeSlope';

/** The diagnostics at the end of training: whether each method acted (NaN where the arm has no such figure). */
export interface ArmDiagnostics {
  /** Mean over layers of the MLP LayerNorm scale's mean, its smallest entry, and the fraction at M2's bound 1. */
  readonly lnScaleMean: Stat;
  readonly lnScaleMin: Stat;
  readonly lnAtBound: Stat;
  /** M1 arms: mean |b| and the fraction of entries at the clip bound c |gamma|. */
  readonly zerothBiasMeanAbs: Stat;
  readonly zerothBiasAtBound: Stat;
  /** Mean pre-activation and mean sigma' on the active entries (held-out). */
  readonly activeMeanPre: Stat;
  readonly activeSlope: Stat;
  /** The authors' 'activation/ratio' (fraction of |a| > 0), held-out. */
  readonly activationRatio: Stat;
}

/** The figures the reproduction compares, per arm. */
export interface ArmSummary {
  readonly arm: string;
  readonly quality: Stat;
  readonly trainActivationSparsity: Stat;
  readonly inferenceActivationSparsity: Stat;
  readonly trainDerivativeSparsity: Stat;
  readonly inferenceDerivativeSparsity: Stat;
  readonly diagnostics: ArmDiagnostics;
  /** Vanilla-relative changes (filled in by `compareToVanilla`). */
  readonly vsVanilla?: {
    readonly inferenceSparsityGain: number;
    readonly inferenceDensityReduction: number;
    readonly trainSparsityGain: number;
    readonly trainDensityReduction: number;
    readonly qualityChange: number;
  };
  readonly curves: Readonly<Record<CurveName, readonly (readonly [number, number])[]>>;
}

/** Mean and standard deviation of the values (NaN values are left out of both). */
export function stat(values: readonly number[]): Stat {
  const finite = values.filter((v) => !Number.isNaN(v));
  const n = finite.length;
  const mean = n === 0 ? Number.NaN : finite.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n, values: finite };
}

const figure = (r: TrainerRecord | undefined, name: string) => r?.figures[name]?.mean ?? Number.NaN;

/**
 * Summarises the seeds of one arm. Inference figures come from the final held-out evaluation;
 * training figures are averaged over the train records of the last 10 % of steps (minibatch figures
 * are noisy); parameter diagnostics (LayerNorm scales, zeroth biases) from the last train record.
 * quality: held-out accuracy or held-out loss.
 */
export function summariseArm(arm: string, seeds: readonly SeedResult[], quality: 'accuracy' | 'loss'): ArmSummary {
  const finalHeld = seeds.map((s) => [...s.records].reverse().find((r) => r.split === 'heldOut'));
  const finalTrain = seeds.map((s) => [...s.records].reverse().find((r) => r.split === 'train'));
  const lateTrain = seeds.map((s) => {
    const train = s.records.filter((r) => r.split === 'train');
    const last = train[train.length - 1]?.step ?? 0;
    return train.filter((r) => r.step >= last * 0.9);
  });
  const lateMean = (name: string) => lateTrain.map((rs) => rs.reduce((a, r) => a + figure(r, name), 0) / Math.max(rs.length, 1));
  const curve = (name: string, split: 'train' | 'heldOut' = 'train') => {
    const bySteps = new Map<number, number[]>();
    for (const s of seeds) for (const r of s.records) if (r.split === split && r.figures[name]) bySteps.set(r.step, [...(bySteps.get(r.step) ?? []), r.figures[name]!.mean]);
    return [...bySteps].sort((a, b) => a[0] - b[0]).map(([step, vs]) => [step, vs.reduce((a, b) => a + b, 0) / vs.length] as const);
  };
  const atEnd = (records: readonly (TrainerRecord | undefined)[], name: string) => stat(records.map((r) => figure(r, name)));
  return {
    arm,
    quality: stat(finalHeld.map((r) => (quality === 'accuracy' ? r?.accuracy ?? Number.NaN : r?.loss ?? Number.NaN))),
    trainActivationSparsity: stat(lateMean('activation-sparsity.value')),
    inferenceActivationSparsity: atEnd(finalHeld, 'activation-sparsity.value'),
    trainDerivativeSparsity: stat(lateMean('derivative-sparsity.value')),
    inferenceDerivativeSparsity: atEnd(finalHeld, 'derivative-sparsity.value'),
    diagnostics: {
      lnScaleMean: atEnd(finalTrain, 'layer-norm-scale.mean'),
      lnScaleMin: atEnd(finalTrain, 'layer-norm-scale.min'),
      lnAtBound: atEnd(finalTrain, 'layer-norm-scale.atBound'),
      zerothBiasMeanAbs: atEnd(finalTrain, 'zeroth-bias.meanAbs'),
      zerothBiasAtBound: atEnd(finalTrain, 'zeroth-bias.atBound'),
      activeMeanPre: atEnd(finalHeld, 'active-slope.meanPre'),
      activeSlope: atEnd(finalHeld, 'active-slope.meanSlope'),
      activationRatio: atEnd(finalHeld, 'activation-ratio.value'),
    },
    curves: {
      asK: curve('augmented-flatness.asK'),
      c0: curve('augmented-flatness.c0'),
      ratio: curve('augmented-flatness.ratio'),
      trainActivationSparsity: curve('activation-sparsity.value'),
      inferenceActivationSparsity: curve('activation-sparsity.value', 'heldOut'),
      layerNormScale: curve('layer-norm-scale.mean'),
      layerNormAtBound: curve('layer-norm-scale.atBound'),
      zerothBiasAtBound: curve('zeroth-bias.atBound'),
      activeSlope: curve('active-slope.meanSlope'),
    },
  };
}

/**
 * Adds the changes relative to the reference arm (vanilla unless named): sparsity gain s/s_v - 1 and
 * density reduction 1 - d/d_v (`vsVanilla`, whichever arm is the reference).
 */
export function compareToVanilla(arms: readonly ArmSummary[], quality: 'accuracy' | 'loss', reference = 'vanilla'): ArmSummary[] {
  const vanilla = arms.find((a) => a.arm === reference);
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
