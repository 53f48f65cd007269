import type { ArmSummary, Term } from './aggregate.js';
import { ALPHA, type ArmComparison, type PairedEstimate } from './compare.js';
import { judgeTrends, summariseTrend, curveTrend, type TrendDirection, type TrendSummary } from './trend.js';

export { ALPHA } from './compare.js';

/** A claim of the paper (or a self-check of the metric code), the verdict of this run, the test behind it and the numbers. */
export interface ClaimVerdict {
  readonly claim: string;
  /** 'finding': a statement about training; 'self-check': a property the metric code must have (not evidence for the paper). */
  readonly kind: 'finding' | 'self-check';
  readonly verdict: 'supported' | 'not supported' | 'inconclusive' | 'passes' | 'fails';
  /** Which test, over what, and which correction for multiple comparisons. */
  readonly test: string;
  readonly evidence: string;
}

/** The paper's headline (spec section 1.5): relative reductions of density, the only reading its figures allow. */
export const HEADLINE = { inference: 0.36, training: 0.5 } as const;

const pct = (v: number, digits = 1) => (Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : 'n/a');
const pts = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)} points` : 'n/a');
const signedPct = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%` : 'n/a');
/** A p-value as printed in verdicts. */
export const pValue = (p: number | undefined) => (p === undefined || Number.isNaN(p) ? 'n/a' : p < 0.001 ? '< 0.001' : p.toFixed(3));
/** 'p = 0.012', 'Holm p < 0.001': a p-value with its name, for sentences. */
export const pIs = (name: string, p: number | undefined) => `${name} ${p !== undefined && p < 0.001 ? '<' : '='} ${pValue(p).replace('< ', '')}`;
const interval = (ci: readonly [number, number], f: (v: number) => string) => (Number.isFinite(ci[0]) ? `[${f(ci[0])}, ${f(ci[1])}]` : '[n/a]');
/** Three significant digits, in exponent form below 1e-3 and from 1e5. */
export const sig3 = (v: number) => (!Number.isFinite(v) ? 'n/a' : v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(3))));
const num = sig3;

/** How a paired estimate reads in a verdict's evidence: mean, 95 % t interval, bootstrap interval and permutation p where n allows. */
function estimate(e: PairedEstimate, f: (v: number) => string): string {
  return `${f(e.mean)}, 95% CI ${interval(e.ci, f)}${e.bootstrapCi ? `, bootstrap ${interval(e.bootstrapCi, f)}` : ''}${e.permutationP !== undefined ? `, ${pIs('sign-flip p', e.permutationP)}` : ''}`;
}

/** The label of a layer in claims ('all layers' for the mean over layers). */
const layerName = (layer: number) => (layer < 0 ? 'mean over layers' : `layer ${layer}`);
const TERM_LABEL: Record<Term, string> = { asK: 'AS_K (augmented flatness, the numerator)', c0: 'c0 (MLP input norm x activation gradient, the denominator)', c0Authors: "the authors' c0 (coefficients_L0)" };

/** The trends of the vanilla arm judged as one family: training sparsity, then AS_K and c0 per layer and over layers. */
function trendClaims(vanilla: ArmSummary): ClaimVerdict[] {
  const items: { claim: string; summary: TrendSummary; expect: 'rises' | 'falls'; what: string }[] = [];
  items.push({ claim: 'Activation sparsity emerges during standard training (vanilla ReLU): training sparsity rises over the run.', summary: summariseTrend(vanilla.trainSparsityTrend, 'linear'), expect: 'rises', what: 'training activation sparsity (mean over layers)' });
  const judged: { term: Term; expect: 'rises' | 'falls'; claim: string }[] = [
    { term: 'asK', expect: 'falls', claim: 'Training finds flatter minima: augmented flatness AS_K falls over the run' },
    { term: 'c0', expect: 'rises', claim: 'The denominator c0 (MLP input norm x activation gradient) rises over the run' },
  ];
  for (const { term, expect, claim } of judged) {
    const figures = vanilla.terms[term];
    if (figures.meanTrend.length === 0) continue;
    for (let layer = -1; layer < vanilla.layers; layer++) {
      const seeds = layer < 0 ? figures.meanTrend : figures.trends[layer] ?? [];
      items.push({ claim: `${claim} (vanilla, ${layerName(layer)}).`, summary: summariseTrend(seeds, 'log'), expect, what: `${TERM_LABEL[term]}, ${layerName(layer)}` });
    }
  }
  const verdicts = judgeTrends(items.map((i) => i.summary), ALPHA);
  return items.map((item, i) => {
    const { adjustedP, direction } = verdicts[i]!;
    const s = item.summary;
    const change = s.scale === 'log' ? `x${num(10 ** s.slope.mean)} over the run (log10 slope ${num(s.slope.mean)}, 95% CI ${interval(s.slope.ci, num)})` : `${pts(s.slope.mean)} over the run (95% CI ${interval(s.slope.ci, pts)})`;
    const firstLast = `first tenth ${s.scale === 'log' ? num(mean(s.seeds.map((x) => x.first))) : pct(mean(s.seeds.map((x) => x.first)))}, last tenth ${s.scale === 'log' ? num(mean(s.seeds.map((x) => x.last))) : pct(mean(s.seeds.map((x) => x.last)))}`;
    return {
      claim: item.claim,
      kind: 'finding',
      verdict: verdictOf(direction, item.expect),
      test: `trend over the whole run: per-seed least-squares slope of ${s.scale === 'log' ? 'log10(value)' : 'the value'} against training progress, t over ${s.slope.n} seeds; Holm over the ${items.length} trends of this task; a direction needs Holm p < ${ALPHA} and the same sign of the net change from the first to the last tenth`,
      evidence: `${item.what}: ${direction}; ${change}; mean Spearman rho ${num(s.meanRho)}; ${pIs('p', s.slope.p)}, ${pIs('Holm p', adjustedP)}; ${firstLast} (means over seeds).`,
    };
  });
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function verdictOf(direction: TrendDirection, expected: 'rises' | 'falls'): ClaimVerdict['verdict'] {
  if (direction === 'inconclusive') return 'inconclusive';
  return direction === expected ? 'supported' : 'not supported';
}

/**
 * The verdict of a claim that a paired mean is at least `threshold`: supported when its estimate
 * reaches the threshold and it differs from 0 (p, adjusted where stated, below ALPHA), not supported
 * when the whole 95 % interval lies below the threshold, else inconclusive.
 */
export function atLeastVerdict(e: PairedEstimate, threshold: number, p: number): ClaimVerdict['verdict'] {
  if (e.n < 2 || Number.isNaN(e.mean)) return 'inconclusive';
  if (e.mean >= threshold && e.mean > 0 && p < ALPHA) return 'supported';
  if (e.ci[1] < threshold) return 'not supported';
  return 'inconclusive';
}

const seedsOf = (c: ArmComparison) => `${c.seeds.length} paired seeds${c.exploratory ? ', exploratory' : ''}`;

/**
 * Judges the paper's claims on one task's arms, given the paired comparisons against vanilla
 * (compareArms). Every verdict names its test and its correction:
 * - the primary endpoint per arm (relative reduction of inference activation density, paired t over
 *   seeds, Holm within the task's family of arm comparisons);
 * - the headline on that endpoint against the paper's 36 % (and, secondary, training density against
 *   50 %), for the sparsified arms;
 * - trends over the whole run (vanilla): sparsity, AS_K and c0 per layer, Holm within the family of
 *   trends; the gap of the sparsified arms over vanilla;
 * - quality kept (paired non-inferiority interval);
 * - the self-check derivative sparsity = activation sparsity for ReLU.
 */
export function judgeClaims(arms: readonly ArmSummary[], comparisons: readonly ArmComparison[], quality: 'accuracy' | 'loss'): ClaimVerdict[] {
  // Claims about vanilla need at least one of its runs (a partial sweep may have none yet).
  const vanilla = arms.find((a) => a.arm === 'vanilla' && a.perSeed.length > 0);
  const out: ClaimVerdict[] = [];
  if (vanilla) {
    out.push(...trendClaims(vanilla));
    const gaps = vanilla.perSeed.map((s) => Math.abs(s.inferenceActivationSparsity - s.inferenceDerivativeSparsity)).filter(Number.isFinite);
    const worst = gaps.length === 0 ? Number.NaN : Math.max(...gaps);
    out.push({
      claim: 'Self-check: for ReLU, derivative sparsity equals activation sparsity (a property of the metric code, not a finding).',
      kind: 'self-check',
      verdict: gaps.length > 0 && worst < 1e-3 ? 'passes' : 'fails',
      test: 'largest abs(activation - derivative sparsity) over the seeds below 1e-3; no statistics',
      evidence: `vanilla inference activation sparsity ${pct(vanilla.inferenceActivationSparsity.mean)}, derivative sparsity ${pct(vanilla.inferenceDerivativeSparsity.mean)}; largest gap over ${gaps.length} seeds ${Number.isFinite(worst) ? worst.toExponential(1) : 'n/a'}.`,
    });
  }
  for (const c of comparisons) {
    const e = c.densityReduction;
    out.push({
      claim: `${c.arm} lowers inference activation density below vanilla's (primary endpoint).`,
      kind: 'finding',
      verdict: c.verdict === 'inconclusive' ? 'inconclusive' : c.verdict === 'sparser' ? 'supported' : 'not supported',
      test: `paired t over ${seedsOf(c)}; Holm over the ${e.family} arm comparisons of this task`,
      evidence: `density reduction ${estimate(e, signedPct)}; ${pIs('p', e.p)}, ${pIs('Holm p', e.pHolm)}; d_z = ${num(e.dz)}; sparsity ${pts(c.sparsityDifference.mean)} (95% CI ${interval(c.sparsityDifference.ci, pts)}); power to see 1 / 3 points at alpha ${num(c.power.alpha)}: ${pct(c.power.onePoint, 0)} / ${pct(c.power.threePoints, 0)}.`,
    });
  }
  for (const name of ['sparsified output', 'sparsified input']) {
    const all = arms.find((a) => a.arm === name);
    const c = comparisons.find((x) => x.arm === name);
    if (!all || !c || !vanilla) continue;
    const e = c.densityReduction;
    out.push({
      claim: `Headline (${name}): inference activation density at least ${HEADLINE.inference * 100} % lower than vanilla's (the paper's "36 % relative improvement in inference sparsity", read as a density reduction: from its baselines near 94-97 % sparsity no sparsity can rise 36 %).`,
      kind: 'finding',
      verdict: atLeastVerdict(e, HEADLINE.inference, e.pHolm),
      test: `primary endpoint, paired t over ${seedsOf(c)}, Holm over the ${e.family} arm comparisons; supported when the estimate reaches 36 % and Holm p < ${ALPHA}, not supported when the 95% CI lies below 36 %`,
      evidence: `inference density reduction ${estimate(e, signedPct)}, ${pIs('Holm p', e.pHolm)} (secondary: relative sparsity gain ${signedPct(c.sparsityGain)}).`,
    });
    const t = c.trainDensityReduction;
    out.push({
      claim: `Headline, training (${name}): training activation density at least ${HEADLINE.training * 100} % lower than vanilla's.`,
      kind: 'finding',
      verdict: atLeastVerdict(t, HEADLINE.training, t.p),
      test: `secondary endpoint, paired t over ${t.n} seeds, no correction; supported when the estimate reaches 50 % and p < ${ALPHA}, not supported when the 95% CI lies below 50 %`,
      evidence: `training density reduction (last 10 % of steps) ${estimate(t, signedPct)}, ${pIs('p', t.p)}.`,
    });
    const gapTrend = gapTrendOf(vanilla, all);
    out.push({
      claim: `The sparsity gap of ${name} over vanilla grows with training.`,
      kind: 'finding',
      verdict: verdictOf(judgeTrends([gapTrend], ALPHA)[0]!.direction, 'rises'),
      test: `per-seed least-squares slope of the held-out sparsity gap (same seed) against training progress, t over ${gapTrend.slope.n} seeds; secondary, no correction; a direction needs p < ${ALPHA} and the same sign of the net change from the first to the last evaluation`,
      evidence: `slope ${pts(gapTrend.slope.mean)} over the run (95% CI ${interval(gapTrend.slope.ci, pts)}), mean Spearman rho ${num(gapTrend.meanRho)}, ${pIs('p', gapTrend.slope.p)}; gap at the first evaluation ${pts(mean(gapTrend.seeds.map((s) => s.first)))}, at the last ${pts(mean(gapTrend.seeds.map((s) => s.last)))}.`,
    });
    const q = c.qualityChange;
    const margin = quality === 'accuracy' ? -0.01 : 0.02;
    const kept = quality === 'accuracy' ? q.ci[0] >= margin : q.ci[1] <= margin;
    const lost = quality === 'accuracy' ? q.ci[1] < margin : q.ci[0] > margin;
    out.push({
      claim: `${name} keeps held-out ${quality} (${quality === 'accuracy' ? 'no more than 1 point lower' : 'no more than 2 % higher'}).`,
      kind: 'finding',
      verdict: q.n < 2 ? 'inconclusive' : kept ? 'supported' : lost ? 'not supported' : 'inconclusive',
      test: `paired 95% t interval over ${q.n} seeds against the margin (non-inferiority); supported when the whole interval is within it, not supported when it lies beyond; no correction`,
      evidence: `held-out ${quality} ${quality === 'accuracy' ? `difference ${estimate(q, pts)}` : `relative change ${estimate(q, signedPct)}`}.`,
    });
  }
  return out;
}

/** The held-out sparsity gap (arm minus vanilla, same seed, same evaluation step) as a trend over seeds. */
function gapTrendOf(vanilla: ArmSummary, arm: ArmSummary): TrendSummary {
  const bySeed = new Map(vanilla.perSeed.map((s) => [s.seed, new Map(s.heldOutSparsity.map(([step, v]) => [step, v]))]));
  const seeds = arm.perSeed
    .filter((s) => bySeed.has(s.seed))
    .map((s) => {
      const ref = bySeed.get(s.seed)!;
      return curveTrend(s.heldOutSparsity.filter(([step]) => ref.has(step)).map(([step, v]) => [step, v - ref.get(step)!] as const), 'linear', s.seed);
    });
  return summariseTrend(seeds, 'linear');
}
