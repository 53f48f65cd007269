import type { ArmSummary } from './aggregate.js';
import { welchTTest } from './stats.js';

/** A claim of the paper, and whether this run supports it, with the numbers. */
export interface ClaimVerdict {
  readonly claim: string;
  readonly verdict: 'supported' | 'not supported' | 'inconclusive';
  readonly evidence: string;
}

/** The significance level of the arm-versus-vanilla tests. */
export const ALPHA = 0.05;

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const pValue = (p: number) => (Number.isNaN(p) ? 'p n/a' : p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

/** The value of a curve nearest the given fraction of training (0 = first logged step, 1 = last). */
function at(curve: readonly (readonly [number, number])[], fraction: number): number {
  if (curve.length === 0) return Number.NaN;
  return curve[Math.min(curve.length - 1, Math.max(0, Math.round(fraction * (curve.length - 1))))]![1];
}

/**
 * Judges the paper's claims on one task's arms. An arm's effect on inference activation sparsity is
 * tested against vanilla with Welch's t-test over the seeds: supported (or contradicted) only when
 * p < ALPHA, else 'inconclusive' (the difference does not exceed seed noise).
 */
export function judgeClaims(arms: readonly ArmSummary[], quality: 'accuracy' | 'loss'): ClaimVerdict[] {
  const by = (name: string) => arms.find((a) => a.arm === name);
  const vanilla = by('vanilla');
  const out: ClaimVerdict[] = [];
  if (vanilla) {
    const curve = vanilla.curves.trainActivationSparsity;
    const [first, last] = [at(curve, 0), at(curve, 1)];
    out.push({
      claim: 'Activation sparsity emerges during standard training (vanilla ReLU).',
      verdict: last > first ? 'supported' : 'not supported',
      evidence: `vanilla training sparsity ${pct(first)} at the first logged step, ${pct(last)} at the last.`,
    });
    const ratio = vanilla.curves.ratio;
    const [r0, r1] = [at(ratio, 0), at(ratio, 1)];
    out.push({
      claim: 'The ratio AS_K / c0 (augmented flatness over input norm x activation gradient) falls during training.',
      verdict: r1 < r0 ? 'supported' : 'not supported',
      evidence: `vanilla AS_K/c0 ${r0.toExponential(3)} at the first logged step, ${r1.toExponential(3)} at the last.`,
    });
    const gap = Math.abs(vanilla.inferenceActivationSparsity.mean - vanilla.inferenceDerivativeSparsity.mean);
    out.push({
      claim: 'For ReLU, derivative sparsity equals activation sparsity.',
      verdict: gap < 1e-3 ? 'supported' : 'not supported',
      evidence: `vanilla inference activation sparsity ${pct(vanilla.inferenceActivationSparsity.mean)}, derivative sparsity ${pct(vanilla.inferenceDerivativeSparsity.mean)}.`,
    });
  }
  for (const arm of arms.filter((a) => a.arm !== 'vanilla' && a.vsVanilla)) {
    const test = welchTTest(arm.inferenceActivationSparsity.values, vanilla?.inferenceActivationSparsity.values ?? []);
    const significant = test.p < ALPHA;
    out.push({
      claim: `${arm.arm} makes inference activations sparser than vanilla.`,
      verdict: !significant ? 'inconclusive' : test.difference > 0 ? 'supported' : 'not supported',
      evidence: `inference sparsity ${pct(arm.inferenceActivationSparsity.mean)} ± ${pct(arm.inferenceActivationSparsity.std)} vs ${pct(vanilla?.inferenceActivationSparsity.mean ?? Number.NaN)} ± ${pct(vanilla?.inferenceActivationSparsity.std ?? Number.NaN)}: difference ${test.difference >= 0 ? '+' : ''}${pct(test.difference)} (Welch t = ${test.t.toFixed(2)}, ${pValue(test.p)}; density reduction ${pct(arm.vsVanilla!.inferenceDensityReduction)}).`,
    });
  }
  for (const name of ['sparsified output', 'sparsified input']) {
    const all = by(name);
    if (!all?.vsVanilla || !vanilla) continue;
    const gapAt = (f: number) => at(all.curves.inferenceActivationSparsity, f) - at(vanilla.curves.inferenceActivationSparsity, f);
    const [early, late] = [gapAt(0), gapAt(1)];
    out.push({
      claim: `The sparsity gap of ${name} over vanilla grows with training.`,
      verdict: Number.isNaN(early) || Number.isNaN(late) ? 'inconclusive' : late > early ? 'supported' : 'not supported',
      evidence: `held-out sparsity gap ${pct(early)} at the first evaluation, ${pct(late)} at the last.`,
    });
    const v = all.vsVanilla;
    out.push({
      claim: `Headline (${name}): at least 36 % relative improvement in inference sparsity and at least 50 % in training sparsity (the paper, on ViT-B/16 and T5-Base).`,
      verdict: v.inferenceSparsityGain >= 0.36 && v.trainSparsityGain >= 0.5 ? 'supported' : 'not supported',
      evidence: `relative sparsity gain: inference ${pct(v.inferenceSparsityGain)}, training ${pct(v.trainSparsityGain)} (density reduction: inference ${pct(v.inferenceDensityReduction)}, training ${pct(v.trainDensityReduction)}).`,
    });
    const qualityOk = quality === 'accuracy' ? v.qualityChange >= -0.01 : v.qualityChange <= 0.02;
    out.push({
      claim: `${name} keeps held-out ${quality} (${quality === 'accuracy' ? 'within 1 point' : 'within 2 %'}).`,
      verdict: qualityOk ? 'supported' : 'not supported',
      evidence: `held-out ${quality} ${quality === 'accuracy' ? `${pct(all.quality.mean)} vs ${pct(vanilla.quality.mean)}` : `${all.quality.mean.toFixed(4)} vs ${vanilla.quality.mean.toFixed(4)} (${pct(v.qualityChange)})`}.`,
    });
  }
  return out;
}
