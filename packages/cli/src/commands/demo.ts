import { writeFileAtomic } from '@flatsparse/core';
import { join } from 'node:path';
import { parseConfig } from '../config/load-config.js';
import { DEMO_MODEL, DEMO_SEEDS, DEMO_STEPS, demoConfig } from '../demo-config.js';
import type { Io } from '../io.js';
import { summariseArm, type SeedResult } from '../reproduce/aggregate.js';
import { ARMS } from '../reproduce/arms.js';
import { judgeClaims, pIs } from '../reproduce/claims.js';
import { compareArms, CONFIRMATORY_SEEDS } from '../reproduce/compare.js';
import { reproductionHtml, taskMarkdown, type TaskResult } from '../reproduce/render.js';
import { TASKS } from '../reproduce/tasks.js';
import { runConfig, type RunOverrides } from './run.js';

/** The arms of the demo: the baseline and the paper's three methods together, as the authors place M1. */
const DEMO_ARMS = ARMS.filter((a) => a.name === 'vanilla' || a.name === 'sparsified output');

/**
 * `flatsparse demo`: the main job. Trains the demo ViT on MNIST under the authors' recipe on the
 * default backend, as the vanilla ReLU baseline and with the paper's three methods (zeroth biases on
 * the MLP output, restricted LayerNorm, J-SquaredReLU), three seeds each, the same data and budget,
 * and prints the reproduction's tables for them: accuracy and sparsities with their spread over the
 * seeds, the diagnostics that show each method acting (LayerNorm scales held at the bound while
 * vanilla's sink, zeroth biases, JSReLU's slope above 1), the paired comparison of inference
 * activation density (the reproduction's primary endpoint) and the verdicts with their tests.
 * Writes the runs and demo.html (the curves per arm) under `--out` (default runs/demo).
 */
export async function demoCommand(io: Io, overrides: RunOverrides): Promise<number> {
  const steps = overrides.steps ?? DEMO_STEPS;
  const out = overrides.out ?? 'runs/demo';
  const task = TASKS.find((t) => t.name === 'vit-mnist')!;
  io.out(
    `flatsparse demo: ViT (d ${DEMO_MODEL.d}, depth ${DEMO_MODEL.depth}, MLP ${DEMO_MODEL.mlpWidth}) on MNIST under the authors' recipe, ` +
      `${steps} steps per run, ${DEMO_ARMS.length} arms x ${DEMO_SEEDS.length} seeds: vanilla ReLU vs the paper's three methods`,
  );
  const summaries = [];
  for (const arm of DEMO_ARMS) {
    const seedResults: SeedResult[] = [];
    for (const seed of DEMO_SEEDS) {
      const config = parseConfig({ ...arm.apply(demoConfig(steps, seed)), name: `demo-${arm.name.replace(/\s+/g, '-')}-s${seed}` });
      const runDir = join(out, arm.name.replace(/\s+/g, '-'), `seed-${seed}`);
      // The demo owns its default directory and replaces its earlier runs there; an --out of the user's keeps the usual rules.
      const result = await runConfig(io, config, { ...overrides, out: runDir, overwrite: overrides.overwrite ?? (overrides.out === undefined && overrides.resume === undefined) }, `[${arm.name}, seed ${seed}] `);
      seedResults.push({ seed, records: result.records, runDir });
    }
    summaries.push(summariseArm(arm.name, seedResults, task.quality));
  }
  const comparisons = compareArms(summaries, task.quality);
  const result: TaskResult = { task: { ...task, name: 'demo', description: `pre-LN ViT (d ${DEMO_MODEL.d}, depth ${DEMO_MODEL.depth}) on MNIST digits, the authors' recipe` }, recipe: 'authors', arms: summaries, comparisons, claims: judgeClaims(summaries, comparisons, task.quality), seeds: [...DEMO_SEEDS], steps };
  io.out('');
  io.out(taskMarkdown(result));
  const c = comparisons[0];
  if (c) {
    const e = c.densityReduction;
    const signed = (v: number) => `${v >= 0 ? '+' : '-'}${Math.abs(v * 100).toFixed(1)}%`;
    io.out(
      `primary endpoint: inference activation density reduction ${signed(e.mean)} with the methods (paired over ${c.seeds.length} seeds, 95% CI [${signed(e.ci[0])}, ${signed(e.ci[1])}], ` +
        `${pIs('paired t p', e.p)}, ${pIs('Holm p', e.pHolm)}): ${c.verdict}${c.exploratory ? ` (exploratory: ${c.seeds.length} seeds; the reproduction runs ${CONFIRMATORY_SEEDS})` : ''}. The full study: flatsparse reproduce (docs/reproduction.md).`,
    );
  }
  const html = join(out, 'demo.html');
  await writeFileAtomic(html, reproductionHtml([result], `flatsparse demo${steps === DEMO_STEPS ? '' : ` --steps ${steps}`}`));
  io.out(`report: ${html} (curves per arm); runs: ${join(out, '<arm>', 'seed-<n>', 'report.html')}`);
  return 0;
}
