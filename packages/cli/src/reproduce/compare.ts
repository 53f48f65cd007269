import type { ArmSummary, SeedFigures } from './aggregate.js';
import { bootstrapMeanInterval, cohensDz, holmAdjust, mean, minimumDetectableEffect, oneSampleTTest, signFlipTest, tTestPower, type TTestResult } from './stats.js';

/** The significance level of every verdict (after Holm's adjustment where a family is tested). */
export const ALPHA = 0.05;
/** Arms with at least this many paired seeds are confirmatory; arms with fewer are reported as exploratory. */
export const CONFIRMATORY_SEEDS = 10;
/** The bootstrap interval is reported from this many paired seeds (below, the percentile bootstrap under-covers). */
export const BOOTSTRAP_MIN_SEEDS = 8;
/** The sign-flip permutation p is reported from this many seeds (its smallest p, 2 / 2^n, is below 0.05 from n = 6). */
export const PERMUTATION_MIN_SEEDS = 6;

/** A paired estimate over seeds: the t-test of the per-seed values with its interval, and the resampling figures where n allows. */
export interface PairedEstimate extends TTestResult {
  /** Percentile bootstrap interval of the mean (10 000 seeded resamples), from BOOTSTRAP_MIN_SEEDS seeds. */
  readonly bootstrapCi?: readonly [number, number];
  /** Exact sign-flip permutation p (two-sided), from PERMUTATION_MIN_SEEDS seeds. */
  readonly permutationP?: number;
}

/** One seed of a paired comparison. */
export interface PairedSeed {
  readonly seed: number;
  /** Inference activation sparsity of the reference arm and of the arm. */
  readonly reference: number;
  readonly arm: number;
  /** The primary endpoint for this seed: 1 - density(arm) / density(reference). */
  readonly densityReduction: number;
}

/** One arm against the reference arm, paired by seed. */
export interface ArmComparison {
  readonly arm: string;
  readonly reference: string;
  /** The seeds both arms have finished (the pairs). */
  readonly seeds: readonly number[];
  /** Fewer than CONFIRMATORY_SEEDS pairs. */
  readonly exploratory: boolean;
  readonly perSeed: readonly PairedSeed[];
  /** The primary endpoint: relative reduction of inference activation density, 1 - d_arm / d_ref per seed. */
  readonly densityReduction: PairedEstimate & {
    /** Holm-adjusted p within the family of this task's arm comparisons. */
    readonly pHolm: number;
    /** The family's size (comparisons with a p-value). */
    readonly family: number;
    /** Cohen's d_z of the per-seed reductions. */
    readonly dz: number;
  };
  /** Inference activation sparsity, arm minus reference, per seed (fractions: 0.01 = 1 point). */
  readonly sparsityDifference: PairedEstimate;
  /** Secondary: relative sparsity gain s_arm / s_ref - 1, mean over seeds. */
  readonly sparsityGain: number;
  /** Secondary: relative reduction of training activation density (last 10 % of steps). */
  readonly trainDensityReduction: PairedEstimate;
  /** Held-out accuracy difference (points as fractions) or relative change of held-out loss, per seed. */
  readonly qualityChange: PairedEstimate;
  /** Power of the primary test, at the first Holm step (alpha / family), to see a 1- and a 3-point sparsity difference; the difference (in sparsity) it detects with 80 % power. */
  readonly power: { readonly alpha: number; readonly onePoint: number; readonly threePoints: number; readonly detectable80: number };
  /** 'sparser' / 'denser' when the Holm-adjusted p is below ALPHA, else 'inconclusive'. */
  readonly verdict: 'sparser' | 'denser' | 'inconclusive';
}

/** The paired estimate of the values' mean, with the resampling figures where n allows. */
export function pairedEstimate(values: readonly number[]): PairedEstimate {
  const t = oneSampleTTest(values);
  return {
    ...t,
    ...(values.length >= BOOTSTRAP_MIN_SEEDS ? { bootstrapCi: bootstrapMeanInterval(values) } : {}),
    ...(values.length >= PERMUTATION_MIN_SEEDS ? { permutationP: signFlipTest(values) } : {}),
  };
}

/**
 * Compares every arm but the reference with it, seed by seed (the seeds both have), on the primary
 * endpoint (relative reduction of inference activation density), with Holm's adjustment over the
 * family of these comparisons, and on the secondary figures (sparsity difference and gain, training
 * density, quality), unadjusted. The reference itself gets no comparison, nor does an arm without a
 * seed paired with the reference's.
 */
export function compareArms(arms: readonly ArmSummary[], quality: 'accuracy' | 'loss', reference = 'vanilla'): ArmComparison[] {
  const ref = arms.find((a) => a.arm === reference);
  if (!ref) return [];
  const bySeed = new Map(ref.perSeed.map((s) => [s.seed, s]));
  const draft = arms
    .filter((a) => a !== ref)
    .map((a) => {
      const pairs = a.perSeed
        .filter((s) => bySeed.has(s.seed) && Number.isFinite(s.inferenceActivationSparsity) && Number.isFinite(bySeed.get(s.seed)!.inferenceActivationSparsity))
        .map((s) => [bySeed.get(s.seed)!, s] as const)
        .sort((x, y) => x[0].seed - y[0].seed);
      const density = (s: SeedFigures) => 1 - s.inferenceActivationSparsity;
      const trainDensity = (s: SeedFigures) => 1 - s.trainActivationSparsity;
      const reductions = pairs.map(([r, x]) => 1 - density(x) / density(r));
      const finite = (xs: number[]) => xs.filter(Number.isFinite);
      return {
        arm: a.arm,
        pairs,
        reductions,
        densityReduction: pairedEstimate(reductions),
        sparsityDifference: pairedEstimate(pairs.map(([r, x]) => x.inferenceActivationSparsity - r.inferenceActivationSparsity)),
        sparsityGain: mean(pairs.map(([r, x]) => x.inferenceActivationSparsity / r.inferenceActivationSparsity - 1)),
        trainDensityReduction: pairedEstimate(finite(pairs.map(([r, x]) => 1 - trainDensity(x) / trainDensity(r)))),
        qualityChange: pairedEstimate(finite(pairs.map(([r, x]) => (quality === 'accuracy' ? x.quality - r.quality : x.quality / r.quality - 1)))),
        refDensity: mean(pairs.map(([r]) => density(r))),
      };
    })
    // An arm with no seed finished beside the reference's (a partial sweep) is not compared, nor counted in the family.
    .filter((d) => d.pairs.length > 0);
  const adjusted = holmAdjust(draft.map((d) => d.densityReduction.p));
  const family = adjusted.filter((p) => !Number.isNaN(p)).length;
  return draft.map((d, i) => {
    const n = d.pairs.length;
    const pHolm = adjusted[i]!;
    const alpha = ALPHA / Math.max(1, family);
    // A difference of `points` in sparsity is a density reduction of points / (reference density).
    const power = (points: number) => tTestPower(points / d.refDensity / d.densityReduction.sd, n, alpha);
    return {
      arm: d.arm,
      reference,
      seeds: d.pairs.map(([r]) => r.seed),
      exploratory: n < CONFIRMATORY_SEEDS,
      perSeed: d.pairs.map(([r, x], k) => ({ seed: r.seed, reference: r.inferenceActivationSparsity, arm: x.inferenceActivationSparsity, densityReduction: d.reductions[k]! })),
      densityReduction: { ...d.densityReduction, pHolm, family, dz: cohensDz(d.reductions) },
      sparsityDifference: d.sparsityDifference,
      sparsityGain: d.sparsityGain,
      trainDensityReduction: d.trainDensityReduction,
      qualityChange: d.qualityChange,
      power: { alpha, onePoint: power(0.01), threePoints: power(0.03), detectable80: minimumDetectableEffect(n, alpha) * d.densityReduction.sd * d.refDensity },
      verdict: pHolm < ALPHA ? (d.densityReduction.mean > 0 ? 'sparser' : 'denser') : 'inconclusive',
    };
  });
}
