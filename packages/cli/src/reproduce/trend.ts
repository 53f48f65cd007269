import { holmAdjust, mean, oneSampleTTest, olsSlope, spearman, type TTestResult } from './stats.js';

/** How one seed's curve moves over the whole run. */
export interface SeedTrend {
  readonly seed: number;
  /**
   * Least-squares slope of the curve against training progress (step / last step, 0 to 1): the change
   * over the run, of log10(value) for a 'log' curve (1 = ten times larger), of the value itself for
   * a 'linear' one.
   */
  readonly slope: number;
  /** Spearman's rank correlation of the values with the steps (+1: rises at every point). */
  readonly rho: number;
  /** Mean of the first and of the last tenth of the logged points (at least one point each). */
  readonly first: number;
  readonly last: number;
  /** Logged points used (positive values only on a log scale). */
  readonly points: number;
}

/** The trend of one curve over the whole run, not its first and last points. */
export function curveTrend(points: readonly (readonly [number, number])[], scale: 'log' | 'linear', seed = 0): SeedTrend {
  const kept = points.filter(([, v]) => Number.isFinite(v) && (scale === 'linear' || v > 0));
  const lastStep = kept.length === 0 ? 1 : Math.max(1, kept[kept.length - 1]![0]);
  const x = kept.map(([s]) => s / lastStep);
  const y = kept.map(([, v]) => (scale === 'log' ? Math.log10(v) : v));
  const tenth = Math.max(1, Math.round(kept.length / 10));
  return {
    seed,
    slope: kept.length < 3 ? Number.NaN : olsSlope(x, y),
    rho: kept.length < 3 ? Number.NaN : spearman(x, y),
    first: mean(kept.slice(0, tenth).map(([, v]) => v)),
    last: mean(kept.slice(-tenth).map(([, v]) => v)),
    points: kept.length,
  };
}

/** A trend over seeds: the seeds' slopes tested against 0, their mean rank correlation. */
export interface TrendSummary {
  readonly scale: 'log' | 'linear';
  readonly seeds: readonly SeedTrend[];
  /** One-sample t-test of the per-seed slopes (mean slope, its 95 % interval, two-sided p). */
  readonly slope: TTestResult;
  /** Mean over seeds of Spearman's rho. */
  readonly meanRho: number;
}

/** Which way a curve goes, as judged over seeds. */
export type TrendDirection = 'rises' | 'falls' | 'no monotone trend' | 'inconclusive';

/** |mean rho| at least this: the seeds' curves are monotone enough to call the trend one direction. */
export const MONOTONE_RHO = 0.5;

export function summariseTrend(seeds: readonly SeedTrend[], scale: 'log' | 'linear'): TrendSummary {
  const usable = seeds.filter((s) => Number.isFinite(s.slope));
  return { scale, seeds: usable, slope: oneSampleTTest(usable.map((s) => s.slope)), meanRho: mean(usable.map((s) => s.rho)) };
}

/**
 * The direction of a trend: 'rises' / 'falls' when the slopes differ from 0 (the p-value given,
 * already adjusted for the family of trends judged, below alpha) and the curves are monotone on
 * average (|mean Spearman rho| >= MONOTONE_RHO); 'no monotone trend' when they are not (a curve that
 * wanders, or seeds that disagree); 'inconclusive' with fewer than two seeds, or monotone curves whose
 * slopes do not differ from 0 beyond the seed noise.
 */
export function trendDirection(summary: TrendSummary, adjustedP: number, alpha: number): TrendDirection {
  if (summary.slope.n < 2 || Number.isNaN(summary.meanRho)) return 'inconclusive';
  if (Math.abs(summary.meanRho) < MONOTONE_RHO) return 'no monotone trend';
  if (!(adjustedP < alpha)) return 'inconclusive';
  return summary.slope.mean > 0 ? 'rises' : 'falls';
}

/** Judges a family of trends at once: Holm over their slope tests, then each direction. */
export function judgeTrends(summaries: readonly TrendSummary[], alpha: number): { readonly adjustedP: number; readonly direction: TrendDirection }[] {
  const adjusted = holmAdjust(summaries.map((s) => s.slope.p));
  return summaries.map((s, i) => ({ adjustedP: adjusted[i]!, direction: trendDirection(s, adjusted[i]!, alpha) }));
}
