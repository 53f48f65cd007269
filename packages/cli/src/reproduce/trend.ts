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
  /** The net change from the first to the last tenth: log10(last / first) on a 'log' curve, last - first on a 'linear' one. */
  readonly net: number;
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
  const first = mean(kept.slice(0, tenth).map(([, v]) => v));
  const last = mean(kept.slice(-tenth).map(([, v]) => v));
  return {
    seed,
    slope: kept.length < 3 ? Number.NaN : olsSlope(x, y),
    rho: kept.length < 3 ? Number.NaN : spearman(x, y),
    first,
    last,
    net: scale === 'log' ? Math.log10(last / first) : last - first,
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
  /** Mean over seeds of the net change from the first to the last tenth (SeedTrend.net). */
  readonly meanNet: number;
}

/** Which way a curve goes, as judged over seeds. */
export type TrendDirection = 'rises' | 'falls' | 'no monotone trend' | 'inconclusive';

/** |mean rho| below this, with slopes that do not differ from 0: the curves wander (or the seeds disagree). */
export const MONOTONE_RHO = 0.5;

export function summariseTrend(seeds: readonly SeedTrend[], scale: 'log' | 'linear'): TrendSummary {
  const usable = seeds.filter((s) => Number.isFinite(s.slope));
  return { scale, seeds: usable, slope: oneSampleTTest(usable.map((s) => s.slope)), meanRho: mean(usable.map((s) => s.rho)), meanNet: mean(usable.map((s) => s.net)) };
}

/**
 * The direction of a trend over seeds:
 * - 'rises' / 'falls': the seeds' slopes differ from 0 (the p-value given, already adjusted for the
 *   family of trends judged, below alpha) and the net change from the first to the last tenth of the
 *   run goes the same way (on average over seeds);
 * - 'no monotone trend': the slopes differ from 0 but the net change goes the other way (a curve that
 *   rises early and falls for the rest of the run, or the reverse), or they do not differ from 0 and
 *   the curves are not monotone on average (|mean Spearman rho| < MONOTONE_RHO: they wander, or the
 *   seeds disagree);
 * - 'inconclusive': fewer than two seeds, or monotone curves whose slopes do not differ from 0 beyond
 *   the seed noise.
 */
export function trendDirection(summary: TrendSummary, adjustedP: number, alpha: number): TrendDirection {
  if (summary.slope.n < 2 || Number.isNaN(summary.meanRho)) return 'inconclusive';
  if (adjustedP < alpha) {
    const direction = summary.slope.mean > 0 ? 'rises' : 'falls';
    return Math.sign(summary.meanNet) === Math.sign(summary.slope.mean) ? direction : 'no monotone trend';
  }
  return Math.abs(summary.meanRho) < MONOTONE_RHO ? 'no monotone trend' : 'inconclusive';
}

/** Judges a family of trends at once: Holm over their slope tests, then each direction. */
export function judgeTrends(summaries: readonly TrendSummary[], alpha: number): { readonly adjustedP: number; readonly direction: TrendDirection }[] {
  const adjusted = holmAdjust(summaries.map((s) => s.slope.p));
  return summaries.map((s, i) => ({ adjustedP: adjusted[i]!, direction: trendDirection(s, adjusted[i]!, alpha) }));
}
