import { parseConfig } from '../config/load-config.js';
import { demoConfig } from '../demo-config.js';
import type { Io } from '../io.js';
import { resultsTable } from '../summary-table.js';
import { runConfig, type RunOverrides } from './run.js';

/**
 * `flatsparse demo`: the main job. Trains the demo ViT on MNIST on the default backend and prints a
 * table of loss, accuracy and sparsities, with the run directory (HTML report) for the curves.
 */
export async function demoCommand(io: Io, overrides: RunOverrides): Promise<number> {
  const config = parseConfig(demoConfig(overrides.steps));
  io.out(`flatsparse demo: ${config.name}: ViT (d ${config.model.d}, depth ${config.model.depth}) on MNIST, ${overrides.steps ?? config.train.steps} steps`);
  const result = await runConfig(io, config, overrides);
  io.out('');
  io.out(resultsTable([{ arm: 'relu (baseline)', train: result.summary.finalTrain, heldOut: result.summary.finalHeldOut }]));
  io.out(`\nreport: ${result.runDir}/report.html`);
  return 0;
}
