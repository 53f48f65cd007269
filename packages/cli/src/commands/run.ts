import { runDirectoryOf, runPipeline, type PipelineResult, type RunDirectoryPlan, type RunLock } from '@flatsparse/core';
import { dirname, join, resolve } from 'node:path';
import { defaultBackends } from '../backends.js';
import type { PipelineConfig } from '../config/config-schema.js';
import { loadConfigFile } from '../config/load-config.js';
import { resolveConfig } from '../config/resolve-config.js';
import type { Io } from '../io.js';
import { Progress } from '../progress.js';
import { interruptOn, SIGNAL_EXIT } from '../signals.js';
import { resultsTable } from '../summary-table.js';

/** Overrides the command line applies to a config. */
export interface RunOverrides {
  readonly backend?: string;
  readonly out?: string;
  readonly steps?: number;
  /** Continue the run in this directory (or the run owning this checkpoint), in place. */
  readonly resume?: string;
  /** Replace the run already in the output directory (its files are removed first). */
  readonly overwrite?: boolean;
  /** Let a resume change the model, data, seed or batch size (recorded in run.json). */
  readonly allowChanged?: boolean;
  readonly quiet?: boolean;
  /** Stops the run after the current step (with a checkpoint). */
  readonly signal?: AbortSignal;
  /** The command that resumes this run, shown when it is interrupted or fails. */
  readonly resumeCommand?: (runDir: string) => string;
  /** The run directory's lock, already taken by the caller (a sweep task); none: the run takes it. */
  readonly runLock?: RunLock;
}

/**
 * `flatsparse run <config>`: trains the pipeline a config file describes and writes its run directory.
 * SIGINT / SIGTERM stop it after the current step with a checkpoint (exit 130 / 143, the run marked
 * interrupted, how to resume printed); a second signal exits at once.
 */
export async function runCommand(io: Io, configPath: string, overrides: RunOverrides): Promise<number> {
  const config = await loadConfigFile(configPath);
  const interrupt = interruptOn(io);
  const extra = [overrides.backend && `--backend ${overrides.backend}`, overrides.steps !== undefined && `--steps ${overrides.steps}`].filter(Boolean).join(' ');
  const resumeCommand = (runDir: string) => `flatsparse run ${configPath} --resume ${runDir}${extra ? ` ${extra}` : ''}`;
  let result: PipelineResult & { runDir: string };
  try {
    result = await runConfig(io, config, { ...overrides, signal: interrupt.signal, resumeCommand }, '', dirname(resolve(configPath)));
  } finally {
    interrupt.dispose();
  }
  const received = interrupt.received();
  if (received !== undefined && result.summary.stoppedEarly) {
    const checkpoint = result.summary.checkpoints.at(-1);
    io.err(`flatsparse: interrupted by ${received} after ${result.summary.steps} of ${config.train.steps} steps${checkpoint ? `; checkpoint ${checkpoint}` : ''}.`);
    io.err(`resume with: ${resumeCommand(result.runDir)}`);
    return SIGNAL_EXIT[received];
  }
  io.out(resultsTable([{ arm: config.name, train: result.summary.finalTrain, heldOut: result.summary.finalHeldOut }]));
  io.out(`\nrun directory: ${result.runDir} (report.html, metrics.jsonl, metrics.csv, checkpoints/)`);
  return 0;
}

/**
 * Runs one config with a progress display; shared by `run`, `demo` and `reproduce`. Third-party
 * plugins are resolved from `configDir` (the config file's directory; default: the working directory).
 * `--resume` continues in the run's own directory unless `--out` names it too.
 */
export async function runConfig(io: Io, base: PipelineConfig, overrides: RunOverrides, label = '', configDir?: string): Promise<PipelineResult & { runDir: string }> {
  const config: PipelineConfig = {
    ...base,
    backend: overrides.backend ?? base.backend,
    train: overrides.steps === undefined ? base.train : { ...base.train, steps: overrides.steps },
  };
  const runDir = overrides.out ?? (overrides.resume !== undefined ? await runDirectoryOf(overrides.resume) : (config.output.dir ?? join('runs', `${config.name}-${timestamp()}`)));
  const spec = await resolveConfig(config, { backends: defaultBackends(), runDir, resumeFrom: overrides.resume, configDir });
  const progress = new Progress(config.train.steps, (t) => process.stderr.write(t), Boolean(process.stderr.isTTY), label);
  const result = await runPipeline({
    ...spec,
    overwrite: overrides.overwrite,
    ...(overrides.runLock === undefined ? {} : { runLock: overrides.runLock }),
    allowChanged: overrides.allowChanged,
    signal: overrides.signal,
    resumeCommand: overrides.resumeCommand?.(runDir),
    saveModelTo: config.output.saveModel ? join(runDir, 'model.safetensors') : undefined,
    onRunDirectory: (plan) => (plan.mode === 'new' && overrides.quiet ? undefined : io.err(`${label}${describePlan(plan)}`)),
    onStart: ({ backend, skipped }) => {
      if (overrides.quiet) return;
      for (const s of skipped) {
        if (noted.has(s.name)) continue;
        noted.add(s.name);
        io.err(`note: backend '${s.name}' unavailable: ${firstSentence(s.reason)} ('flatsparse doctor' says how to enable it)`);
      }
      io.err(`${label}backend: ${backend.name} (${backend.detail})${backend.fallback ? ` FALLBACK: ${backend.fallback}` : ''}`);
    },
    onRecord: overrides.quiet ? undefined : (r) => progress.update(r),
    onWarning: (w) => io.err(`warning: ${w.message} (${w.action})`),
  }).finally(() => {
    if (!overrides.quiet) progress.finish();
  });
  return { ...result, runDir };
}

/** One line saying what happens to the run directory (printed even with --quiet: it may remove files). */
function describePlan(plan: RunDirectoryPlan & { readonly removed: readonly string[] }): string {
  if (plan.mode === 'overwrite') return `run directory ${plan.runDir}: replacing the earlier run (removed ${plan.removed.join(', ')})`;
  if (plan.mode === 'new') return `run directory ${plan.runDir}`;
  const from = plan.checkpoint === undefined ? `no checkpoint in ${plan.runDir} yet: starting from step 0` : `resuming ${plan.runDir} from step ${plan.step} (${plan.checkpoint})`;
  return plan.later.length === 0 ? from : `${from}; dropped ${plan.later.length} later checkpoint(s) and their history: ${plan.later.join(', ')}`;
}

/** Unavailable backends already noted by this process: one line each, once, however many runs it trains. */
const noted = new Set<string>();

/** The first sentence of a reason, on one line. */
function firstSentence(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const end = line.search(/\.(\s|$)/);
  return end < 0 ? line : line.slice(0, end + 1);
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
