import { runPipeline, type PipelineResult } from '@flatsparse/core';
import { dirname, join, resolve } from 'node:path';
import { defaultBackends } from '../backends.js';
import type { PipelineConfig } from '../config/config-schema.js';
import { loadConfigFile } from '../config/load-config.js';
import { resolveConfig } from '../config/resolve-config.js';
import type { Io } from '../io.js';
import { Progress } from '../progress.js';
import { resultsTable } from '../summary-table.js';

/** Overrides the command line applies to a config. */
export interface RunOverrides {
  readonly backend?: string;
  readonly out?: string;
  readonly steps?: number;
  readonly resume?: string;
  readonly quiet?: boolean;
}

/** `flatsparse run <config>`: trains the pipeline a config file describes and writes its run directory. */
export async function runCommand(io: Io, configPath: string, overrides: RunOverrides): Promise<number> {
  const config = await loadConfigFile(configPath);
  const result = await runConfig(io, config, overrides, '', dirname(resolve(configPath)));
  io.out(resultsTable([{ arm: config.name, train: result.summary.finalTrain, heldOut: result.summary.finalHeldOut }]));
  io.out(`\nrun directory: ${result.runDir} (report.html, metrics.jsonl, metrics.csv, checkpoints/)`);
  return 0;
}

/**
 * Runs one config with a progress display; shared by `run`, `demo` and `reproduce`. Third-party
 * plugins are resolved from `configDir` (the config file's directory; default: the working directory).
 */
export async function runConfig(io: Io, base: PipelineConfig, overrides: RunOverrides, label = '', configDir?: string): Promise<PipelineResult & { runDir: string }> {
  const config: PipelineConfig = {
    ...base,
    backend: overrides.backend ?? base.backend,
    train: overrides.steps === undefined ? base.train : { ...base.train, steps: overrides.steps },
  };
  const runDir = overrides.out ?? config.output.dir ?? join('runs', `${config.name}-${timestamp()}`);
  const spec = await resolveConfig(config, { backends: defaultBackends(), runDir, resumeFrom: overrides.resume, configDir });
  const progress = new Progress(config.train.steps, (t) => process.stderr.write(t), Boolean(process.stderr.isTTY), label);
  const result = await runPipeline({
    ...spec,
    saveModelTo: config.output.saveModel ? join(runDir, 'model.safetensors') : undefined,
    onStart: ({ backend, skipped }) => {
      if (overrides.quiet) return;
      for (const s of skipped) io.err(`note: backend '${s.name}' skipped: ${s.reason}${s.fix ? ` Fix: ${s.fix}` : ''}`);
      io.err(`${label}backend: ${backend.name} (${backend.detail})${backend.fallback ? ` FALLBACK: ${backend.fallback}` : ''}`);
    },
    onRecord: overrides.quiet ? undefined : (r) => progress.update(r),
    onWarning: (w) => io.err(`warning: ${w.message} (${w.action})`),
  }).finally(() => {
    if (!overrides.quiet) progress.finish();
  });
  return { ...result, runDir };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
