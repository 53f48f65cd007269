import { evaluatePipeline } from '@flatsparse/core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultBackends } from '../backends.js';
import { loadConfigFile } from '../config/load-config.js';
import { resolveConfig } from '../config/resolve-config.js';
import type { Io } from '../io.js';
import { formatTable } from '../table.js';

/** Options of `flatsparse eval`. */
export interface EvalOptions {
  readonly split?: 'heldOut' | 'train';
  readonly weights?: string;
  readonly batches?: number;
  readonly backend?: string;
}

/**
 * `flatsparse eval <run-dir>`: metrics of a saved model on a data split in evaluation mode. The run's
 * config.json rebuilds the pipeline; the weights are the run's model.safetensors unless --weights
 * names another file (for example a checkpoint's).
 */
export async function evalCommand(io: Io, runDir: string, options: EvalOptions): Promise<number> {
  const config = await loadConfigFile(join(runDir, 'config.json'));
  const weights = options.weights ?? join(runDir, 'model.safetensors');
  if (!existsSync(weights)) {
    io.err(`flatsparse eval: no weights at '${weights}'. Pass --weights <run-dir>/checkpoints/step-XXXXXXXX/model.safetensors, or finish the run first.`);
    return 2;
  }
  // config.json holds plugin paths made absolute; plugin packages are looked up from the run directory up.
  const spec = await resolveConfig({ ...config, backend: options.backend ?? config.backend }, { backends: defaultBackends(), configDir: runDir });
  const result = await evaluatePipeline(spec, { weights, split: options.split, maxBatches: options.batches });
  io.out(`${config.name}: ${result.split} split, ${result.examples} examples, backend ${result.backend.name}`);
  io.out(`loss ${result.loss.toFixed(4)}  accuracy ${(result.accuracy * 100).toFixed(2)}%`);
  const names = Object.keys(result.figures).sort();
  const layers = Math.max(0, ...names.map((n) => result.figures[n]!.perLayer.length));
  const rows = names.map((n) => [n, fmt(result.figures[n]!.mean), ...result.figures[n]!.perLayer.map(fmt)]);
  io.out(formatTable(['figure', 'mean', ...Array.from({ length: layers }, (_, l) => `layer ${l}`)], rows));
  return 0;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4);
}
