import type { TrainerRecord } from '@flatsparse/core';
import { describe, expect, it } from 'vitest';
import { summariseArm, type SeedResult } from './aggregate.js';
import { HEADLINE, judgeClaims, type ClaimVerdict } from './claims.js';
import { compareArms } from './compare.js';
import { curveTrend, judgeTrends, summariseTrend } from './trend.js';

// Synthetic aggregates: records of a 4000-step run (train records every 50 steps, held-out every
// 500) whose sparsities and terms are set by hand, so each verdict's input is known.

/** A deterministic noise source per seed (not the code's generators). */
function noise(seed: number): () => number {
  let x = seed * 7919 + 17;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648 - 0.5;
  };
}

interface Shape {
  /** Final inference / training sparsity of this seed. */
  readonly inference: number;
  readonly train: number;
  /** AS_K per layer over training progress f in [0, 1]. */
  readonly asK?: (f: number, layer: number, seed: number) => number;
  readonly c0?: (f: number, layer: number, seed: number) => number;
  readonly accuracy?: number;
}

const LAYERS = 2;
const figure = (values: number[]) => ({ mean: values.reduce((a, b) => a + b, 0) / values.length, perLayer: values });

function seedRun(seed: number, shape: Shape): SeedResult {
  const records: TrainerRecord[] = [];
  const asK = shape.asK ?? ((f) => 1 + f);
  const c0 = shape.c0 ?? ((f) => 1 + 2 * f);
  for (let step = 49; step < 4000; step += 50) {
    const f = step / 3999;
    // Training sparsity rises from 0.5 to its final value over the first half, then stays.
    const sparsity = 0.5 + (shape.train - 0.5) * Math.min(1, 2 * f);
    const perLayer = (g: (f: number, l: number, s: number) => number) => Array.from({ length: LAYERS }, (_, l) => g(f, l, seed));
    records.push({
      step,
      split: 'train',
      loss: 1,
      lr: 1e-3,
      lossTerms: {},
      wallMs: step,
      figures: {
        'activation-sparsity.value': figure([sparsity, sparsity]),
        'derivative-sparsity.value': figure([sparsity, sparsity]),
        'augmented-flatness.asK': figure(perLayer(asK)),
        'augmented-flatness.c0': figure(perLayer(c0)),
        'augmented-flatness.c0Authors': figure(perLayer(c0)),
      },
    });
    if ((step + 1) % 500 === 0) {
      const held = 0.5 + (shape.inference - 0.5) * Math.min(1, 2 * f);
      records.push({ step, split: 'heldOut', loss: 0.5, accuracy: shape.accuracy ?? 0.97, lr: 1e-3, lossTerms: {}, wallMs: step, figures: { 'activation-sparsity.value': figure([held, held]), 'derivative-sparsity.value': figure([held, held]) } });
    }
  }
  return { seed, records, runDir: `/runs/${seed}` };
}

/** Ten seeds of vanilla at 78 % sparsity and one arm, with per-seed noise shared by the pair (a paired design). */
function task(armOf: (vanillaSparsity: number, seed: number) => number, shapes: Partial<Shape> = {}, seeds = 10) {
  const vanilla: SeedResult[] = [];
  const arm: SeedResult[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const u = noise(seed);
    const v = 0.78 + 0.01 * u();
    const a = armOf(v, seed) + 0.002 * u();
    vanilla.push(seedRun(seed, { inference: v, train: v, ...shapes }));
    arm.push(seedRun(seed, { inference: a, train: a, accuracy: 0.972 + 0.001 * u() }));
  }
  const arms = [summariseArm('vanilla', vanilla, 'accuracy'), summariseArm('sparsified output', arm, 'accuracy')];
  const comparisons = compareArms(arms, 'accuracy');
  return { arms, comparisons, claims: judgeClaims(arms, comparisons, 'accuracy') };
}

const claim = (claims: readonly ClaimVerdict[], start: string) => {
  const found = claims.find((c) => c.claim.startsWith(start));
  expect(found, start).toBeDefined();
  return found!;
};

describe('the headline is judged on the relative reduction of density', () => {
  it('a 40 % density reduction passes the headline', () => {
    const { comparisons, claims } = task((v) => 1 - 0.6 * (1 - v));
    expect(comparisons[0]!.densityReduction.mean).toBeCloseTo(0.4, 2);
    expect(claim(claims, 'Headline (sparsified output)').verdict).toBe('supported');
    expect(claim(claims, 'sparsified output lowers inference activation density').verdict).toBe('supported');
    // The training headline asks 50 %: a 40 % reduction, tightly measured, does not reach it.
    expect(HEADLINE.training).toBe(0.5);
    expect(claim(claims, 'Headline, training (sparsified output)').verdict).toBe('not supported');
    // Both arms start at 50 % and reach their final sparsity by mid-run: the held-out gap grows from 0.
    expect(claim(claims, 'The sparsity gap of sparsified output over vanilla grows').verdict).toBe('supported');
    expect(claim(claims, 'sparsified output keeps held-out accuracy').verdict).toBe('supported');
  });

  it('+5 % relative sparsity from 78 % (density 17.7 % lower) is a significant reduction but not the headline', () => {
    const { comparisons, claims } = task((v) => 1.05 * v);
    const e = comparisons[0]!.densityReduction;
    expect(e.mean).toBeCloseTo(1 - (1 - 0.819) / 0.22, 1);
    expect(e.pHolm).toBeLessThan(0.05);
    expect(claim(claims, 'sparsified output lowers inference activation density').verdict).toBe('supported');
    expect(claim(claims, 'Headline (sparsified output)').verdict).toBe('not supported');
    expect(claim(claims, 'Headline (sparsified output)').evidence).toMatch(/relative sparsity gain \+5\.0%/);
  });

  it('no difference beyond seed noise is inconclusive, and every verdict names its test and correction', () => {
    const { comparisons, claims } = task((v, seed) => v + 0.01 * noise(seed + 500)(), {}, 3);
    expect(comparisons[0]!.exploratory).toBe(true);
    expect(claim(claims, 'sparsified output lowers').verdict).toBe('inconclusive');
    for (const c of claims) expect(c.test.length).toBeGreaterThan(20);
    expect(claim(claims, 'sparsified output lowers').test).toMatch(/paired t over 3 paired seeds, exploratory; Holm over the 1 arm comparisons/);
    const power = comparisons[0]!.power;
    expect(power.onePoint).toBeLessThan(power.threePoints);
  });
});

describe('trends over the whole run', () => {
  const seeds = [0, 1, 2, 3, 4];
  const trendsOf = (curve: (f: number, seed: number) => number) =>
    summariseTrend(seeds.map((s) => curveTrend(Array.from({ length: 80 }, (_, i) => [50 * i + 49, curve(i / 79, s)] as const), 'log', s)), 'log');
  const wobble = (seed: number) => {
    const u = noise(seed + 100);
    return () => 1 + 0.1 * u();
  };

  it('calls a rising curve rising, a falling one falling and a wandering one neither', () => {
    const w = seeds.map(wobble);
    const rising = trendsOf((f, s) => 2 * 6 ** f * w[s]!());
    const falling = trendsOf((f, s) => 5 / (1 + 4 * f) * w[s]!());
    // Up and down three times, phase shifted per seed: no monotone trend.
    const wandering = trendsOf((f, s) => (2 + Math.sin(6 * Math.PI * f + s)) * w[s]!());
    const [r, fa, wa] = judgeTrends([rising, falling, wandering], 0.05);
    expect(r!.direction).toBe('rises');
    expect(10 ** rising.slope.mean).toBeGreaterThan(4);
    expect(fa!.direction).toBe('falls');
    expect(wa!.direction).toBe('no monotone trend');
    expect(Math.abs(wandering.meanRho)).toBeLessThan(0.5);
  });

  it('a curve that jumps early and then declines is not called falling, and a steady rise under heavy noise is a rise', () => {
    const noisy = seeds.map((s) => noise(s + 300));
    // Up 3x over the first 15 % of the run, then down to 1.8x: the whole-run slope is negative, the net change positive.
    const hump = trendsOf((f, s) => (f < 0.15 ? 1 + (2 * f) / 0.15 : 3 - ((f - 0.15) * 1.2) / 0.85) * (1 + 0.02 * noisy[s]!()));
    // Doubles over the run under noise of +-60 % per point: rho well below 0.5, the slopes all positive.
    const steady = trendsOf((f, s) => 2 ** f * (1 + 1.2 * noisy[s]!()));
    expect(hump.slope.mean).toBeLessThan(0);
    expect(hump.meanNet).toBeGreaterThan(0);
    expect(Math.abs(steady.meanRho)).toBeLessThan(0.5);
    const [h, st] = judgeTrends([hump, steady], 0.05);
    expect(h!.adjustedP).toBeLessThan(0.05);
    expect(h!.direction).toBe('no monotone trend');
    expect(st!.direction).toBe('rises');
  });

  it('with one seed a trend is inconclusive, not a verdict', () => {
    const one = summariseTrend([curveTrend([[0, 1], [1, 2], [2, 3], [3, 4]], 'log', 0)], 'log');
    expect(judgeTrends([one], 0.05)[0]!.direction).toBe('inconclusive');
  });

  it('judges AS_K and c0 per layer and over layers, not their ratio: AS_K rising is reported as such', () => {
    // AS_K rises 6x and c0 10x: the ratio falls (sparsity rises) while flatness does not improve.
    const { claims } = task((v) => v, { asK: (f, l, s) => (1 + l) * 6 ** f * (1 + 0.02 * noise(s)()), c0: (f, l, s) => (1 + l) * 10 ** f * (1 + 0.02 * noise(s + 50)()) });
    for (const layer of ['layer 0', 'layer 1', 'mean over layers']) {
      const flat = claim(claims, `Training finds flatter minima: augmented flatness AS_K falls over the run (vanilla, ${layer})`);
      expect(flat.verdict).toBe('not supported');
      expect(flat.evidence).toMatch(/: rises; x6 over the run/);
      expect(claim(claims, `The denominator c0 (MLP input norm x activation gradient) rises over the run (vanilla, ${layer})`).verdict).toBe('supported');
    }
    expect(claims.some((c) => /ratio AS_K \/ c0/.test(c.claim))).toBe(false);
    expect(claim(claims, 'Activation sparsity emerges').verdict).toBe('supported');
    expect(claim(claims, 'Activation sparsity emerges').test).toMatch(/Holm over the 7 trends/);
    const check = claim(claims, 'Self-check: for ReLU');
    expect(check.kind).toBe('self-check');
    expect(check.verdict).toBe('passes');
  });

  it('a falling AS_K supports the flatness claim', () => {
    const { claims } = task((v) => v, { asK: (f, l, s) => (1 + l) * 3 ** -f * (1 + 0.02 * noise(s)()) });
    expect(claim(claims, 'Training finds flatter minima: augmented flatness AS_K falls over the run (vanilla, mean over layers)').verdict).toBe('supported');
  });
});

describe('paired comparisons', () => {
  it('pair by seed: a shared per-seed offset cancels, which unpaired tests cannot do', () => {
    // Arm = vanilla + 0.5 points exactly, on top of a 1-point seed-to-seed spread.
    const { comparisons } = task((v) => v + 0.005);
    const c = comparisons[0]!;
    expect(c.sparsityDifference.mean).toBeCloseTo(0.005, 3);
    expect(c.sparsityDifference.ci[1] - c.sparsityDifference.ci[0]).toBeLessThan(0.002);
    expect(c.densityReduction.p).toBeLessThan(1e-4);
    expect(c.perSeed.map((s) => s.seed)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(c.densityReduction.bootstrapCi).toBeDefined();
    expect(c.densityReduction.permutationP).toBeCloseTo(2 / 1024, 12);
    expect(c.exploratory).toBe(false);
    expect(c.power.onePoint).toBeGreaterThan(0.99);
  });

  it('use only the seeds both arms finished, and adjust over the family of arms', () => {
    const base = task((v) => v + 0.01);
    const partial = { ...base.arms[1]!, arm: 'partial', perSeed: base.arms[1]!.perSeed.slice(0, 4) };
    const comparisons = compareArms([...base.arms, partial], 'accuracy');
    expect(comparisons.map((c) => c.seeds.length)).toEqual([10, 4]);
    expect(comparisons.every((c) => c.densityReduction.family === 2)).toBe(true);
    const ps = comparisons.map((c) => c.densityReduction.p);
    const sorted = [...ps].sort((a, b) => a - b);
    const smallest = comparisons.find((c) => c.densityReduction.p === sorted[0])!;
    expect(smallest.densityReduction.pHolm).toBeCloseTo(Math.min(1, 2 * sorted[0]!), 12);
  });
});

describe('partial sweeps', () => {
  it('compare and judge only what has finished: no claim rests on an arm without runs', () => {
    const { arms } = task((v) => v + 0.01, {}, 4);
    const empty = summariseArm('M3 JSReLU', [], 'accuracy');
    const comparisons = compareArms([...arms, empty], 'accuracy');
    expect(comparisons.map((c) => c.arm)).toEqual(['sparsified output']);
    expect(comparisons[0]!.densityReduction.family).toBe(1);
    const claims = judgeClaims([...arms, empty], comparisons, 'accuracy');
    expect(claims.some((c) => c.claim.startsWith('M3 JSReLU'))).toBe(false);
    const noVanilla = judgeClaims([summariseArm('vanilla', [], 'accuracy'), empty], [], 'accuracy');
    expect(noVanilla).toEqual([]);
  });
});

describe('the tables', () => {
  it('keep one cell per column when a verdict contains a pipe, and escape labels in HTML', async () => {
    const { reproductionHtml, taskMarkdown } = await import('./render.js');
    const { arms, comparisons, claims } = task((v) => v + 0.01);
    const result = { task: { name: 'size=<b>&', description: 'a group', quality: 'accuracy' as const }, arms, comparisons, claims: [...claims, { claim: 'a | b', kind: 'finding' as const, verdict: 'inconclusive' as const, test: 'abs(x) | y', evidence: '|x|' }], seeds: [0], steps: 4000 };
    const md = taskMarkdown(result);
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    const header = md.split('\n').indexOf('| claim | verdict | test and correction | evidence |');
    expect(header).toBeGreaterThan(0);
    for (const row of md.split('\n').slice(header + 2).filter((l) => l.startsWith('|'))) expect(row.split(/(?<!\\)\|/).length - 2, row).toBe(4);
    expect(rows.length).toBeGreaterThan(10);
    const html = reproductionHtml([result], 'flatsparse sweep collect x.yaml');
    expect(html).toContain('<h2>size=&lt;b&gt;&amp;</h2>');
    expect(html).toContain('<td>a | b</td>');
    expect(html.match(/<table>/g)!.length).toBe(6);
  });
});
