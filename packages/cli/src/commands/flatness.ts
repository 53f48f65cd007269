import { acquireRunLock, estimateCheckpoints, listCheckpoints, renderFlatnessReport, upgradeRecord, writeFileAtomic, type FlatnessRecord, type RunRecord } from '@flatsparse/core';
import { ConfigError, type BackendInfo } from '@flatsparse/plugin-api';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { defaultBackends } from '../backends.js';
import type { EstimatorRef } from '../config/config-schema.js';
import { loadConfigFile } from '../config/load-config.js';
import { resolveConfig } from '../config/resolve-config.js';
import type { Io } from '../io.js';
import { formatTable } from '../table.js';

/** Options of `flatsparse flatness`. */
export interface FlatnessCommandOptions {
  /** Estimators to run (built-in plugin names or contributions of the run's plugins); default: the run config's, else hessian-trace and hessian-eigenvalues. */
  readonly estimators?: readonly string[];
  /** Checkpoint directories (default: every checkpoint of the run). */
  readonly checkpoints?: readonly string[];
  /** Examples in the fixed batch. */
  readonly batchSize?: number;
  /** Split of the fixed batch. */
  readonly split?: 'heldOut' | 'train';
  /** Seed of every estimate. */
  readonly seed?: number;
  /** Backend (default: the run's). */
  readonly backend?: string;
}

/** Estimators run when neither the command line nor the run's config names any. */
export const DEFAULT_CHECKPOINT_ESTIMATORS = ['hessian-trace', 'hessian-eigenvalues'] as const;

/**
 * `flatsparse flatness <run-dir>`: runs flatness estimators on the run's saved checkpoints (same fixed
 * batch, same seed for every checkpoint), prints a table, and writes `flatness-checkpoints.jsonl` and
 * `flatness-checkpoints.html` (the estimates over steps next to the run's sparsity curves) into the
 * run directory, atomically. Every checkpoint is checked before the first estimate; when an estimate
 * fails, the estimates of the checkpoints that finished are written before the error is raised.
 */
export async function flatnessCommand(io: Io, runDir: string, options: FlatnessCommandOptions): Promise<number> {
  const config = await loadConfigFile(join(runDir, 'config.json'));
  // It reads the run's checkpoints and writes into its directory: not while the run (or another
  // estimate) is writing there.
  const lock = await acquireRunLock(runDir, { command: `flatsparse flatness ${runDir}` });
  try {
    return await estimateLocked(io, runDir, options, config);
  } finally {
    await lock.release();
  }
}

async function estimateLocked(io: Io, runDir: string, options: FlatnessCommandOptions, config: Awaited<ReturnType<typeof loadConfigFile>>): Promise<number> {
  const estimators: EstimatorRef[] = options.estimators?.length ? [...options.estimators] : config.estimators.length ? config.estimators : [...DEFAULT_CHECKPOINT_ESTIMATORS];
  const flatness = { ...config.flatness, ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }), ...(options.split === undefined ? {} : { split: options.split }), ...(options.seed === undefined ? {} : { seed: options.seed }) };
  const spec = await resolveConfig({ ...config, backend: options.backend ?? config.backend, estimators, flatness }, { backends: defaultBackends(), configDir: runDir });
  const checkpoints = options.checkpoints?.length ? options.checkpoints.map((c) => resolve(c)) : await listCheckpoints(runDir);
  const names = spec.estimators ?? [];
  if (names.length === 0) throw new ConfigError('--estimators', 'no estimator to run.', { fix: `pass --estimators ${DEFAULT_CHECKPOINT_ESTIMATORS.join(',')}` });
  io.err(`${config.name}: ${checkpoints.length} checkpoint(s), estimators ${names.map((e) => e.name).join(', ')}`);
  const done: FlatnessRecord[] = [];
  let backend: BackendInfo | undefined;
  try {
    ({ backend } = await estimateCheckpoints(spec, {
      checkpoints,
      estimators: names,
      batch: spec.flatness,
      onCheckpoint: (dir, got) => {
        done.push(...got);
        io.err(`  ${dir}: ${got.map((r) => `${r.estimator} ${Math.round(r.cost.wallMs)} ms`).join(', ')}`);
      },
    }));
  } catch (err) {
    // Keep what was computed before the failure: the estimates of the checkpoints that finished.
    if (done.length > 0) {
      await writeResults(runDir, config.name, done, checkpoints.length, spec.flatness?.seed ?? spec.seed ?? 0, undefined);
      io.err(`flatsparse flatness: kept the estimates of the ${new Set(done.map((r) => r.step)).size} checkpoint(s) that finished in ${join(runDir, 'flatness-checkpoints.jsonl')}.`);
    }
    throw err;
  }
  await writeResults(runDir, config.name, done, checkpoints.length, spec.flatness?.seed ?? spec.seed ?? 0, backend);
  io.out(formatTable(['step', 'estimator', 'figures', 'passes (fwd/bwd)', 'ms'], done.map(row)));
  io.out(`\nwritten: ${join(runDir, 'flatness-checkpoints.html')} and flatness-checkpoints.jsonl`);
  return 0;
}

/** Writes flatness-checkpoints.jsonl and .html (atomically) with the estimates there are. */
async function writeResults(runDir: string, name: string, records: readonly FlatnessRecord[], checkpoints: number, seed: number, backend: BackendInfo | undefined): Promise<void> {
  const runRecords = await readRunRecords(runDir);
  await writeFileAtomic(join(runDir, 'flatness-checkpoints.jsonl'), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  await writeFileAtomic(
    join(runDir, 'flatness-checkpoints.html'),
    renderFlatnessReport({
      title: `${name}: flatness of saved checkpoints`,
      facts: { run: resolve(runDir), backend: backend === undefined ? 'stopped by an error (partial results)' : `${backend.name} (${backend.detail})`, checkpoints, seed },
      flatness: records,
      records: runRecords,
    }),
  );
}

function row(r: FlatnessRecord): string[] {
  const shown = Object.entries(r.figures)
    .filter(([name]) => !/(StdErr|Residual|Lo|Hi)$/.test(name))
    .map(([name, v]) => {
      const err = r.figures[`${name}StdErr`] ?? r.figures[`${name}Residual`];
      return `${name}=${fmt(v)}${err === undefined ? '' : ` +- ${fmt(err)}`}`;
    });
  return [String(r.step), r.estimator, shown.join(' '), `${r.cost.forwardPasses}/${r.cost.backwardPasses}`, String(Math.round(r.cost.wallMs))];
}

async function readRunRecords(runDir: string): Promise<RunRecord[]> {
  const text = await readFile(join(runDir, 'metrics.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => upgradeRecord(JSON.parse(l) as RunRecord));
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4);
}
