/**
 * The statistics of the reproduction's verdicts, self-contained (no dependency): Student's t
 * distribution, the paired t-test with its interval, Holm's adjustment, a seeded percentile
 * bootstrap, the exact sign-flip permutation test, Cohen's d_z, the power of the paired t-test
 * (noncentral t), rank correlation and least-squares slopes for trends. Checked against SciPy and
 * statsmodels in test/cli/stats-reference.test.ts.
 */

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error below 1e-13). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (Numerical Recipes' betacf). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Two-sided p-value of Student's t with `df` degrees of freedom (df may be fractional, as Welch's). */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? Number.NaN : 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

// ---------------------------------------------------------------------------------------------------
// Paired designs: arms of one seed share initialisation and batch order, so an arm is compared with
// the reference seed by seed (differences), not as two independent samples.

/** Mean of the values (NaN for none). */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Sample standard deviation (n - 1; NaN below two values). */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** The regularised lower incomplete gamma function P(a, x) (series below a + 1, continued fraction above). */
export function incompleteGammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let k = 1; k < 1000; k++) {
      term *= x / (a + k);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return front * sum;
  }
  // Lentz's continued fraction for Q(a, x).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 - front * h;
}

/** The standard normal distribution function, Phi(x) = (1 + erf(x / sqrt 2)) / 2 with erf(y) = P(1/2, y^2). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const half = 0.5 * incompleteGammaP(0.5, (x * x) / 2);
  return x >= 0 ? 0.5 + half : 0.5 - half;
}

/** The two-sided critical value of Student's t: the t with studentTwoSidedP(t, df) = alpha (bisection). */
export function studentCritical(alpha: number, df: number): number {
  if (!(df > 0) || !(alpha > 0 && alpha < 1)) return Number.NaN;
  let [lo, hi] = [0, 1];
  while (studentTwoSidedP(hi, df) > alpha) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTwoSidedP(mid, df) > alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A one-sample (or paired, on the differences) t-test of mean = 0 with its two-sided interval. */
export interface TTestResult {
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  readonly t: number;
  readonly df: number;
  /** Two-sided p of mean = 0. */
  readonly p: number;
  /** The two-sided interval of the mean at `level`: mean -+ t_crit sd / sqrt(n). */
  readonly ci: readonly [number, number];
  readonly level: number;
}

/**
 * Student's one-sample t-test on the values (for a paired design: on the per-seed differences), with
 * the t interval at `level` (default 95 %). NaN t, p and interval below two values; p = 0 and a
 * zero-width interval for a non-zero mean without spread.
 */
export function oneSampleTTest(values: readonly number[], level = 0.95): TTestResult {
  const n = values.length;
  const m = mean(values);
  const sd = sampleSd(values);
  if (n < 2) return { n, mean: m, sd, t: Number.NaN, df: Number.NaN, p: Number.NaN, ci: [Number.NaN, Number.NaN], level };
  const df = n - 1;
  const se = sd / Math.sqrt(n);
  if (se === 0) return { n, mean: m, sd, t: m === 0 ? Number.NaN : Math.sign(m) * Infinity, df, p: m === 0 ? Number.NaN : 0, ci: [m, m], level };
  const t = m / se;
  const half = studentCritical(1 - level, df) * se;
  return { n, mean: m, sd, t, df, p: studentTwoSidedP(t, df), ci: [m - half, m + half], level };
}

/** The paired t-test of mean(a_i - b_i) = 0 (a and b aligned: the same seed at the same index). */
export function pairedTTest(a: readonly number[], b: readonly number[], level = 0.95): TTestResult {
  if (a.length !== b.length) throw new RangeError(`paired samples differ in length (${a.length} and ${b.length})`);
  return oneSampleTTest(a.map((x, i) => x - b[i]!), level);
}

/**
 * Holm's step-down adjustment of a family's p-values (same order as given): the i-th smallest p is
 * multiplied by m - i + 1, made monotone, capped at 1. NaN p-values are left out of the family (m
 * counts the others) and stay NaN.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const finite = pValues.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p)).sort((x, y) => x[0] - y[0]);
  const m = finite.length;
  const out = pValues.map(() => Number.NaN);
  let running = 0;
  finite.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}

/** A small deterministic generator (mulberry32) for resampling: the same seed gives the same interval. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The q-quantile of sorted values by linear interpolation between order statistics (NumPy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * The percentile bootstrap interval of the mean at `level`: `resamples` resamples with replacement
 * (seeded, so the interval is reproducible), the interval between the (1 - level) / 2 and
 * (1 + level) / 2 quantiles of their means. NaN below two values.
 */
export function bootstrapMeanInterval(values: readonly number[], level = 0.95, resamples = 10000, seed = 1): readonly [number, number] {
  const n = values.length;
  if (n < 2) return [Number.NaN, Number.NaN];
  const random = mulberry32(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(random() * n)]!;
    means[r] = s / n;
  }
  const sorted = [...means].sort((x, y) => x - y);
  return [quantileSorted(sorted, (1 - level) / 2), quantileSorted(sorted, (1 + level) / 2)];
}

/**
 * The sign-flip permutation test of mean = 0 for paired differences: under the null each difference
 * is as likely to have either sign. Two-sided p = the fraction of the 2^n sign assignments (exact up
 * to n = 20; beyond, `resamples` random ones plus the observed) whose |mean| is at least the observed
 * |mean|. Its smallest possible p is 2 / 2^n: it can only go below 0.05 from n = 6.
 */
export function signFlipTest(differences: readonly number[], resamples = 100000, seed = 1): number {
  const n = differences.length;
  if (n === 0) return Number.NaN;
  const observed = Math.abs(differences.reduce((s, x) => s + x, 0));
  const tolerance = 1e-12 * Math.max(observed, ...differences.map(Math.abs));
  let hits = 0;
  if (n <= 20) {
    const total = 2 ** n;
    for (let mask = 0; mask < total; mask++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (mask >> i) & 1 ? -differences[i]! : differences[i]!;
      if (Math.abs(s) >= observed - tolerance) hits++;
    }
    return hits / total;
  }
  const random = mulberry32(seed);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += random() < 0.5 ? -differences[i]! : differences[i]!;
    if (Math.abs(s) >= observed - tolerance) hits++;
  }
  return (hits + 1) / (resamples + 1);
}

/** Cohen's d_z of paired differences: their mean over their standard deviation. */
export function cohensDz(differences: readonly number[]): number {
  return mean(differences) / sampleSd(differences);
}

/**
 * The power of a two-sided one-sample (paired) t-test at level `alpha` with n observations when the
 * true standardised effect is `effect` (mean / sd): P(|T'| > t_crit) for T' noncentral t with n - 1
 * degrees of freedom and noncentrality effect sqrt(n). Computed as E[Phi(delta - c S) + Phi(-delta - c S)]
 * over S = sqrt(chi2_df / df), integrated numerically (Simpson, 4000 intervals).
 */
export function tTestPower(effect: number, n: number, alpha: number): number {
  if (!(n >= 2) || Number.isNaN(effect)) return Number.NaN;
  const df = n - 1;
  const c = studentCritical(alpha, df);
  const delta = Math.abs(effect) * Math.sqrt(n);
  // Density of S = sqrt(V / df), V ~ chi2(df): f(s) = 2 (df/2)^(df/2) s^(df-1) exp(-df s^2 / 2) / Gamma(df/2).
  const logNorm = Math.log(2) + (df / 2) * Math.log(df / 2) - logGamma(df / 2);
  const density = (s: number) => (s <= 0 ? (df === 1 ? Math.exp(logNorm) : 0) : Math.exp(logNorm + (df - 1) * Math.log(s) - (df * s * s) / 2));
  const top = 1 + 12 / Math.sqrt(df);
  const steps = 4000;
  const h = top / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const s = i * h;
    const f = density(s) * (normalCdf(delta - c * s) + normalCdf(-delta - c * s));
    sum += (i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2) * f;
  }
  return Math.min(1, (sum * h) / 3);
}

/** The smallest standardised effect a two-sided t-test with n observations detects with `power` at `alpha` (bisection on tTestPower). */
export function minimumDetectableEffect(n: number, alpha: number, power = 0.8): number {
  if (!(n >= 2)) return Number.NaN;
  let [lo, hi] = [0, 1];
  while (tTestPower(hi, n, alpha) < power && hi < 1e6) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (tTestPower(mid, n, alpha) < power) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Ranks 1..n with ties given their average rank. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** Pearson's correlation (NaN when either variable has no spread or fewer than two points). */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const [mx, my] = [mean(x), mean(y)];
  let [sxy, sxx, syy] = [0, 0, 0];
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return x.length < 2 || sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rank correlation: Pearson's on the ranks (ties averaged). */
export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y));
}

/** The least-squares slope of y on x (NaN without spread in x). */
export function olsSlope(x: readonly number[], y: readonly number[]): number {
  const [mx, my] = [mean(x), mean(y)];
  let [sxy, sxx] = [0, 0];
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}
