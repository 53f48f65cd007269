import type { TrainerRecord } from '@flatsparse/core';
import { parseConfig } from '../config/load-config.js';
import { demoConfig } from '../demo-config.js';
import type { Io } from '../io.js';
import { ARMS } from '../reproduce/arms.js';
import { resultsTable } from '../summary-table.js';
import { runConfig, type RunOverrides } from './run.js';

/** The arms of the demo: the baseline and the paper's three methods together. */
const DEMO_ARMS = ARMS.filter((a) => a.name === 'vanilla' || a.name === 'sparsified output');

/**
 * `flatsparse demo`: the main job. Trains the demo ViT on MNIST on the default backend twice with the
 * same seed, data and budget, once as the vanilla ReLU baseline and once with the paper's three
 * methods (zeroth biases, restricted LayerNorm, J-SquaredReLU), and prints loss, accuracy and
 * sparsities side by side with the relative change, plus the run directories (HTML reports).
 */
export async function demoCommand(io: Io, overrides: RunOverrides): Promise<number> {
  const base = demoConfig(overrides.steps);
  const out = overrides.out ?? 'runs/demo';
  io.out(`flatsparse demo: ViT (d ${base.model.d}, depth ${base.model.depth}, MLP ${base.model.mlpWidth}) on MNIST, ${base.train.steps} steps per arm: baseline vs the paper's three methods`);
  const rows: { arm: string; train?: TrainerRecord; heldOut?: TrainerRecord }[] = [];
  const dirs: string[] = [];
  for (const arm of DEMO_ARMS) {
    const config = parseConfig({ ...arm.apply(base), name: `demo-${arm.name}` });
    const runDir = `${out}/${arm.name}`;
    // The demo owns its default directory and replaces its earlier runs there; an --out of the user's keeps the usual rules.
    const result = await runConfig(io, config, { ...overrides, out: runDir, overwrite: overrides.overwrite ?? (overrides.out === undefined && overrides.resume === undefined) }, `[${arm.name}] `);
    rows.push({ arm: `${arm.name} (${arm.description})`, train: result.summary.finalTrain, heldOut: result.summary.finalHeldOut });
    dirs.push(`${runDir}/report.html`);
  }
  io.out('');
  io.out(resultsTable(rows));
  const [vanilla, sparsified] = rows;
  const s = (r: typeof vanilla) => r?.heldOut?.figures['activationSparsity.value']?.mean ?? Number.NaN;
  const density = (r: typeof vanilla) => 1 - s(r);
  io.out(
    `\ninference activation density: ${(density(vanilla) * 100).toFixed(1)}% -> ${(density(sparsified) * 100).toFixed(1)}% ` +
      `(${((1 - density(sparsified) / density(vanilla)) * 100).toFixed(1)}% lower; sparsity gain ${((s(sparsified) / s(vanilla) - 1) * 100).toFixed(1)}%)`,
  );
  io.out(`reports: ${dirs.join(', ')}`);
  return 0;
}
