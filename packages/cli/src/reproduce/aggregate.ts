import type { TrainerRecord } from '@flatsparse/core';
import { curveTrend, type SeedTrend } from './trend.js';

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
  | 'c0Authors'
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

/** What one seed of an arm measured (the paired comparisons read these, seed by seed). */
export interface SeedFigures {
  readonly seed: number;
  /** Final held-out accuracy or loss. */
  readonly quality: number;
  readonly trainActivationSparsity: number;
  readonly inferenceActivationSparsity: number;
  readonly trainDerivativeSparsity: number;
  readonly inferenceDerivativeSparsity: number;
  /** Held-out activation sparsity at every evaluation: [step, value]. */
  readonly heldOutSparsity: readonly (readonly [number, number])[];
}

/** The terms of the identity density = AS_K / (T n c0), per MLP layer. */
export const TERMS = ['asK', 'c0', 'c0Authors'] as const;
/** One of TERMS: AS_K (augmented flatness, the numerator), c0 (flatsparse's, sigma'(p)^2-weighted) or c0Authors (the authors' coefficients_L0). */
export type Term = (typeof TERMS)[number];

/** One term of one arm: its value at the end of training and its trend over the run, per layer. */
export interface TermFigures {
  /** Per layer: mean over the train records of the last 10 % of steps, as mean and spread over seeds. */
  readonly atEnd: readonly Stat[];
  /** Per layer: each seed's trend over the whole run (log scale). */
  readonly trends: readonly (readonly SeedTrend[])[];
  /** The mean over layers: each seed's trend. */
  readonly meanTrend: readonly SeedTrend[];
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
  /** Every seed's figures, for paired comparisons and the per-seed tables. */
  readonly perSeed: readonly SeedFigures[];
  /** MLP layers measured. */
  readonly layers: number;
  /** AS_K, c0 and the authors' c0 per layer (train records; the figures of 'augmented-flatness'). */
  readonly terms: Readonly<Record<Term, TermFigures>>;
  /** Each seed's trend of the training activation sparsity (mean over layers, linear scale). */
  readonly trainSparsityTrend: readonly SeedTrend[];
  readonly curves: Readonly<Record<CurveName, readonly (readonly [number, number])[]>>;
  /** The spread of each curve over seeds: [step, min, max] (drawn as a band around the mean). */
  readonly curveSpread: Readonly<Record<CurveName, readonly (readonly [number, number, number])[]>>;
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
const layerFigure = (r: TrainerRecord, name: string, layer: number) => (layer < 0 ? r.figures[name]?.mean : r.figures[name]?.perLayer[layer]) ?? Number.NaN;

/**
 * Summarises the seeds of one arm. Inference figures come from the final held-out evaluation;
 * training figures are averaged over the train records of the last 10 % of steps (minibatch figures
 * are noisy); parameter diagnostics (LayerNorm scales, zeroth biases) from the last train record;
 * trends from every train record of the run.
 * quality: held-out accuracy or held-out loss.
 */
export function summariseArm(arm: string, seeds: readonly SeedResult[], quality: 'accuracy' | 'loss'): ArmSummary {
  const finalHeld = seeds.map((s) => [...s.records].reverse().find((r) => r.split === 'heldOut'));
  const finalTrain = seeds.map((s) => [...s.records].reverse().find((r) => r.split === 'train'));
  const train = seeds.map((s) => s.records.filter((r) => r.split === 'train'));
  const lateTrain = train.map((rs) => {
    const last = rs[rs.length - 1]?.step ?? 0;
    return rs.filter((r) => r.step >= last * 0.9);
  });
  const lateOf = (rs: readonly TrainerRecord[], name: string, layer = -1) => rs.reduce((a, r) => a + layerFigure(r, name, layer), 0) / Math.max(rs.length, 1);
  const lateMean = (name: string) => lateTrain.map((rs) => lateOf(rs, name));
  const bySteps = (name: string, split: 'train' | 'heldOut') => {
    const values = new Map<number, number[]>();
    for (const s of seeds) for (const r of s.records) if (r.split === split && r.figures[name]) values.set(r.step, [...(values.get(r.step) ?? []), r.figures[name]!.mean]);
    return [...values].sort((a, b) => a[0] - b[0]);
  };
  const curve = (name: string, split: 'train' | 'heldOut' = 'train') => bySteps(name, split).map(([step, vs]) => [step, vs.reduce((a, b) => a + b, 0) / vs.length] as const);
  const spread = (name: string, split: 'train' | 'heldOut' = 'train') => bySteps(name, split).map(([step, vs]) => [step, Math.min(...vs), Math.max(...vs)] as const);
  const seedCurve = (i: number, name: string, layer = -1) => train[i]!.filter((r) => r.figures[name]).map((r) => [r.step, layerFigure(r, name, layer)] as const);
  const atEnd = (records: readonly (TrainerRecord | undefined)[], name: string) => stat(records.map((r) => figure(r, name)));
  const layers = Math.max(0, ...seeds.flatMap((s) => s.records.map((r) => r.figures['augmented-flatness.asK']?.perLayer.length ?? r.figures['activation-sparsity.value']?.perLayer.length ?? 0)));
  const term = (t: Term): TermFigures => {
    const name = `augmented-flatness.${t}`;
    return {
      atEnd: Array.from({ length: layers }, (_, l) => stat(lateTrain.map((rs) => (rs.some((r) => r.figures[name]) ? lateOf(rs, name, l) : Number.NaN)))),
      trends: Array.from({ length: layers }, (_, l) => seeds.map((s, i) => curveTrend(seedCurve(i, name, l), 'log', s.seed)).filter((tr) => tr.points > 0)),
      meanTrend: seeds.map((s, i) => curveTrend(seedCurve(i, name), 'log', s.seed)).filter((tr) => tr.points > 0),
    };
  };
  const trainSparsity = lateMean('activation-sparsity.value');
  const trainDerivative = lateMean('derivative-sparsity.value');
  const qualityOf = (r: TrainerRecord | undefined) => (quality === 'accuracy' ? r?.accuracy ?? Number.NaN : r?.loss ?? Number.NaN);
  return {
    arm,
    quality: stat(finalHeld.map(qualityOf)),
    trainActivationSparsity: stat(trainSparsity),
    inferenceActivationSparsity: atEnd(finalHeld, 'activation-sparsity.value'),
    trainDerivativeSparsity: stat(trainDerivative),
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
    perSeed: seeds.map((s, i) => ({
      seed: s.seed,
      quality: qualityOf(finalHeld[i]),
      trainActivationSparsity: trainSparsity[i]!,
      inferenceActivationSparsity: figure(finalHeld[i], 'activation-sparsity.value'),
      trainDerivativeSparsity: trainDerivative[i]!,
      inferenceDerivativeSparsity: figure(finalHeld[i], 'derivative-sparsity.value'),
      heldOutSparsity: s.records.filter((r) => r.split === 'heldOut' && r.figures['activation-sparsity.value']).map((r) => [r.step, figure(r, 'activation-sparsity.value')] as const),
    })),
    layers,
    terms: { asK: term('asK'), c0: term('c0'), c0Authors: term('c0Authors') },
    trainSparsityTrend: seeds.map((s, i) => curveTrend(seedCurve(i, 'activation-sparsity.value'), 'linear', s.seed)).filter((tr) => tr.points > 0),
    curves: {
      asK: curve('augmented-flatness.asK'),
      c0: curve('augmented-flatness.c0'),
      c0Authors: curve('augmented-flatness.c0Authors'),
      ratio: curve('augmented-flatness.ratio'),
      trainActivationSparsity: curve('activation-sparsity.value'),
      inferenceActivationSparsity: curve('activation-sparsity.value', 'heldOut'),
      layerNormScale: curve('layer-norm-scale.mean'),
      layerNormAtBound: curve('layer-norm-scale.atBound'),
      zerothBiasAtBound: curve('zeroth-bias.atBound'),
      activeSlope: curve('active-slope.meanSlope'),
    },
    curveSpread: {
      asK: spread('augmented-flatness.asK'),
      c0: spread('augmented-flatness.c0'),
      c0Authors: spread('augmented-flatness.c0Authors'),
      ratio: spread('augmented-flatness.ratio'),
      trainActivationSparsity: spread('activation-sparsity.value'),
      inferenceActivationSparsity: spread('activation-sparsity.value', 'heldOut'),
      layerNormScale: spread('layer-norm-scale.mean'),
      layerNormAtBound: spread('layer-norm-scale.atBound'),
      zerothBiasAtBound: spread('zeroth-bias.atBound'),
      activeSlope: spread('active-slope.meanSlope'),
    },
  };
}
