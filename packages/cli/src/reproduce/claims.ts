import type { ArmSummary } from './aggregate.js';

/** A claim of the paper, and whether this run supports it, with the numbers. */
export interface ClaimVerdict {
  readonly claim: string;
  readonly verdict: 'supported' | 'not supported' | 'inconclusive';
  readonly evidence: string;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/**
 * Judges the paper's claims on one task's arms. 'inconclusive' when the difference is within the
 * spread over seeds. `quality` is the task's quality measure.
 */
export function judgeClaims(arms: readonly ArmSummary[], quality: 'accuracy' | 'loss'): ClaimVerdict[] {
  const by = (name: string) => arms.find((a) => a.arm === name);
  const vanilla = by('vanilla');
  const all = by('sparsified');
  const out: ClaimVerdict[] = [];
  if (vanilla) {
    const curve = vanilla.curves.trainActivationSparsity;
    const first = curve[0]?.[1] ?? Number.NaN;
    const last = curve[curve.length - 1]?.[1] ?? Number.NaN;
    out.push({
      claim: 'Activation sparsity emerges during standard training (vanilla ReLU).',
      verdict: last > first ? 'supported' : 'not supported',
      evidence: `vanilla training sparsity ${pct(first)} at the first logged step, ${pct(last)} at the last.`,
    });
    const ratio = vanilla.curves.ratio;
    const r0 = ratio[0]?.[1] ?? Number.NaN;
    const r1 = ratio[ratio.length - 1]?.[1] ?? Number.NaN;
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
    const noise = Math.max(arm.inferenceActivationSparsity.std, vanilla?.inferenceActivationSparsity.std ?? 0);
    const diff = arm.inferenceActivationSparsity.mean - (vanilla?.inferenceActivationSparsity.mean ?? Number.NaN);
    out.push({
      claim: `${arm.arm} makes inference activations sparser than vanilla.`,
      verdict: Math.abs(diff) <= noise ? 'inconclusive' : diff > 0 ? 'supported' : 'not supported',
      evidence: `inference sparsity ${pct(arm.inferenceActivationSparsity.mean)} vs ${pct(vanilla?.inferenceActivationSparsity.mean ?? Number.NaN)} (gain ${pct(arm.vsVanilla!.inferenceSparsityGain)}, density reduction ${pct(arm.vsVanilla!.inferenceDensityReduction)}; spread over seeds ${pct(noise)}).`,
    });
  }
  if (all?.vsVanilla) {
    const v = all.vsVanilla;
    out.push({
      claim: 'Headline: all three methods give at least 36 % relative improvement in inference sparsity and at least 50 % in training sparsity.',
      verdict: v.inferenceSparsityGain >= 0.36 && v.trainSparsityGain >= 0.5 ? 'supported' : 'not supported',
      evidence: `relative sparsity gain: inference ${pct(v.inferenceSparsityGain)}, training ${pct(v.trainSparsityGain)} (density reduction: inference ${pct(v.inferenceDensityReduction)}, training ${pct(v.trainDensityReduction)}).`,
    });
    const qualityOk = quality === 'accuracy' ? v.qualityChange >= -0.01 : v.qualityChange <= 0.02;
    out.push({
      claim: `Target of this reproduction: inference activation density at least 30 % lower than vanilla with held-out ${quality === 'accuracy' ? 'accuracy within 1 point' : 'loss within 2 %'}.`,
      verdict: v.inferenceDensityReduction >= 0.3 && qualityOk ? 'supported' : 'not supported',
      evidence: `density reduction ${pct(v.inferenceDensityReduction)}; held-out ${quality} ${quality === 'accuracy' ? `${pct(all.quality.mean)} vs ${pct(vanilla?.quality.mean ?? Number.NaN)}` : `${all.quality.mean.toFixed(4)} vs ${(vanilla?.quality.mean ?? Number.NaN).toFixed(4)} (${pct(v.qualityChange)})`}.`,
    });
  }
  return out;
}
