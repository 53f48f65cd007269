import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pairedEstimate } from '../../packages/cli/src/reproduce/compare.js';
import { bootstrapMeanInterval, holmAdjust, normalCdf, pairedTTest, signFlipTest, spearman, studentCritical, tTestPower } from '../../packages/cli/src/reproduce/stats.js';

// The statistics of the verdicts against an independent implementation: SciPy (scipy.stats.ttest_rel
// and its confidence interval, permutation_test, bootstrap, spearmanr, t.ppf, norm.cdf) and
// statsmodels (multipletests 'holm', TTestPower), from Debian's python3-scipy and python3-statsmodels
// (installed by .ci/run). Skips with the reason where no python3 has both.

const PYTHONS = ['/usr/bin/python3', 'python3'];
const python = PYTHONS.find((p) => spawnSync(p, ['-c', 'import scipy.stats, statsmodels.stats.multitest, statsmodels.stats.power'], { encoding: 'utf8' }).status === 0);
const reason = `no python3 with SciPy and statsmodels (tried ${PYTHONS.join(', ')}): install Debian's python3-scipy and python3-statsmodels`;
if (!python) console.warn(`[skip] the SciPy / statsmodels reference tests: ${reason}`);

/** Runs a Python function of the cases (JSON in, JSON out). */
function reference(script: string, input: unknown): any {
  const program = `import json, sys\nimport numpy as np\nimport scipy.stats as st\nfrom statsmodels.stats.multitest import multipletests\nfrom statsmodels.stats.power import TTestPower\ncases = json.load(sys.stdin)\n${script}\nprint(json.dumps(out))\n`;
  const r = spawnSync(python!, ['-c', program], { input: JSON.stringify(input), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Seeded samples (not the code's generator): the same cases on every run. */
function samples(seed: number, n: number, shift: number, spread: number): number[] {
  let x = seed;
  const u = () => ((x = (x * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
  return Array.from({ length: n }, () => shift + spread * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

const PAIRS = [
  { a: samples(1, 3, 0.78, 0.01), b: samples(2, 3, 0.77, 0.01) },
  { a: samples(3, 6, 0.78, 0.01), b: samples(4, 6, 0.775, 0.005) },
  { a: samples(5, 10, 0.76, 0.012), b: samples(6, 10, 0.724, 0.008) },
  { a: samples(7, 12, 0.8, 0.02), b: samples(8, 12, 0.8, 0.02) },
];

describe.skipIf(!python)('statistics against SciPy and statsmodels', () => {
  it("the paired t-test (t, df, p) and its 95 % interval equal scipy.stats.ttest_rel's", () => {
    const want = reference(`out = []\nfor c in cases:\n    r = st.ttest_rel(c['a'], c['b'])\n    ci = r.confidence_interval(0.95)\n    out.append([float(r.statistic), float(r.df), float(r.pvalue), float(ci.low), float(ci.high)])`, PAIRS);
    PAIRS.forEach(({ a, b }, i) => {
      const got = pairedTTest(a, b);
      const [t, df, p, lo, hi] = want[i] as number[];
      expect(got.t).toBeCloseTo(t!, 8);
      expect(got.df).toBe(df);
      expect(got.p).toBeCloseTo(p!, 9);
      expect(got.ci[0]).toBeCloseTo(lo!, 9);
      expect(got.ci[1]).toBeCloseTo(hi!, 9);
    });
  });

  it("Holm's adjusted p-values equal statsmodels' multipletests(method='holm')", () => {
    const families = [[0.03, 0.5, 0.01, 0.02], [0.015, 0.2, 0.04, 0.0004, 0.9, 0.049], [0.7, 0.8], [0.001]];
    const want = reference(`out = [list(map(float, multipletests(c, method='holm')[1])) for c in cases]`, families);
    families.forEach((f, i) => holmAdjust(f).forEach((p, j) => expect(p).toBeCloseTo(want[i][j], 12)));
  });

  it("the sign-flip permutation p equals scipy.stats.permutation_test's exact paired test", () => {
    const cases = PAIRS.slice(1).map(({ a, b }) => a.map((x, i) => x - b[i]!));
    const want = reference(`out = [float(st.permutation_test((np.array(d),), np.mean, permutation_type='samples', n_resamples=10**6).pvalue) for d in cases]`, cases);
    cases.forEach((d, i) => expect(signFlipTest(d)).toBeCloseTo(want[i], 10));
  });

  it("the percentile bootstrap interval agrees with scipy.stats.bootstrap's within resampling error", () => {
    const cases = PAIRS.slice(2).map(({ a, b }) => a.map((x, i) => x - b[i]!));
    const want = reference(`out = []\nfor d in cases:\n    ci = st.bootstrap((np.array(d),), np.mean, method='percentile', n_resamples=100000, random_state=0).confidence_interval\n    out.append([float(ci.low), float(ci.high)])`, cases);
    cases.forEach((d, i) => {
      const [lo, hi] = bootstrapMeanInterval(d);
      const width = want[i][1] - want[i][0];
      expect(Math.abs(lo - want[i][0])).toBeLessThan(0.05 * width);
      expect(Math.abs(hi - want[i][1])).toBeLessThan(0.05 * width);
      // pairedEstimate reports it from 8 pairs on, with the exact sign-flip p.
      expect(pairedEstimate(d).bootstrapCi).toEqual([lo, hi]);
    });
  });

  it("the power of the paired t-test equals statsmodels' TTestPower (two-sided)", () => {
    const grid = [[0.5, 10, 0.05], [1, 10, 0.05 / 6], [2, 3, 0.05], [0.3, 30, 0.01], [1.4, 5, 0.025], [3, 2, 0.05]];
    const want = reference(`out = [float(TTestPower().power(effect_size=e, nobs=n, alpha=a, alternative='two-sided')) for e, n, a in cases]`, grid);
    grid.forEach(([e, n, a], i) => expect(tTestPower(e!, n!, a!)).toBeCloseTo(want[i], 5));
  });

  it("Spearman's rho, t quantiles and Phi equal SciPy's", () => {
    const x = [0, 1, 2, 3, 4, 5, 6, 7];
    const y = [0.3, 0.1, 0.1, 0.5, 0.4, 0.9, 0.9, 0.7];
    const want = reference(`out = [float(st.spearmanr(cases[0], cases[1]).statistic), [float(st.t.ppf(0.975, df)) for df in (1, 2, 4.5, 9, 29)], [float(st.norm.cdf(z)) for z in (-3.1, -0.4, 0.0, 1.3, 2.5)]]`, [x, y]);
    expect(spearman(x, y)).toBeCloseTo(want[0], 12);
    [1, 2, 4.5, 9, 29].forEach((df, i) => expect(studentCritical(0.05, df)).toBeCloseTo(want[1][i], 8));
    [-3.1, -0.4, 0, 1.3, 2.5].forEach((z, i) => expect(normalCdf(z)).toBeCloseTo(want[2][i], 12));
  });
});
