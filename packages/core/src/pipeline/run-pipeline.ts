import { existsSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type BackendInfo, type Dataset, ConfigError, type TrainableModel } from '@flatsparse/plugin-api';
import { describeFailure, type RunWarning } from '../faults/fault-records.js';
import { asOutOfMemory } from '../faults/out-of-memory.js';
import { LossGrowthWatch } from '../faults/loss-growth.js';
import { EstimatorRunner, type EstimatorSchedule, type FlatnessBatchSettings, type FlatnessRecord } from '../flatness/estimator-runner.js';
import { acquireRunLock, assertLockHeld, RunLockLostError, type RunLock } from '../io/run-lock.js';
import { loadWeightsInto, saveModel } from '../models/index.js';
import { applyRunDirectoryPlan, planRunDirectory, type RunDirectoryPlan } from '../report/run-dir-plan.js';
import { checkOutputDir } from '../report/output-dir-check.js';
import { RunDirectory } from '../report/run-directory.js';
import { checkCheckpointFits } from '../train/checkpoint-files.js';
import { Trainer, type TrainSummary, type TrainerOptions, type TrainerRecord } from '../train/index.js';
import { checkPipelineSpec } from './check-pipeline-spec.js';
import { checkTrainSettings, trainSettingWarnings } from './check-train-settings.js';
import { scheduleOf } from '../train/lr-schedule.js';
import { composePipeline, type PipelineParts } from './compose-pipeline.js';
import { compareIdentity, runIdentity, type IdentityChange } from './run-identity.js';

/**
 * Trainer settings a pipeline passes through (everything but what the pipeline wires itself), including
 * the fault policy `faults: { metrics: 'stop' | 'disable' }`.
 */
export type TrainSettings = Omit<TrainerOptions, 'model' | 'dataset' | 'host' | 'metrics' | 'sink' | 'runDir' | 'seed' | 'resumeFrom' | 'onWarning' | 'estimators' | 'onFlatness'>;

/** A whole pipeline, composed from code (the CLI builds one from a config file). */
export interface PipelineSpec extends PipelineParts {
  /** Title of the run (report heading). */
  readonly name?: string;
  /** Trainer settings. */
  readonly train: TrainSettings;
  /** Run directory (config, metrics.jsonl/csv, report.html, checkpoints); none: nothing is written. */
  readonly runDir?: string;
  /**
   * Continue a run: with `runDir`, the run directory itself (its published checkpoint; none yet: from
   * step 0) or one of its checkpoints, continued in place (later checkpoints and history are dropped);
   * without `runDir`, any checkpoint (nothing is written).
   */
  readonly resumeFrom?: string;
  /** `runDir` may hold an earlier run: its files are removed (once every check passed) before the new run writes. */
  readonly overwrite?: boolean;
  /** A resume may change the model, activation, plugins, data, seed or batch size; run.json records the change. */
  readonly allowChanged?: boolean;
  /** How to continue this run (for example its command line), shown in run.json and the report when it is interrupted or fails. */
  readonly resumeCommand?: string;
  /** Called once the run directory is prepared (before the first step), with what was decided and what was removed. */
  readonly onRunDirectory?: (info: RunDirectoryPlan & { readonly removed: readonly string[] }) => void;
  /** The resolved config, stored as config.json and shown in the report. */
  readonly config?: unknown;
  /** Called with every record (progress display). */
  readonly onRecord?: (record: TrainerRecord) => void;
  /** Called with every warning (for example a metric disabled under `train.faults.metrics: 'disable'`); also written to the run directory. */
  readonly onWarning?: (warning: RunWarning) => void;
  /** Called once the backend and model are ready, before the first step. */
  readonly onStart?: (info: { backend: BackendInfo; model: TrainableModel; dataset: Dataset; skipped: readonly { name: string; reason: string; fix?: string }[] }) => void;
  /** Stops after the current step (a checkpoint is written when there is a runDir; the run is marked interrupted). */
  readonly signal?: AbortSignal;
  /** Writes the trained model here (safetensors, atomic) when training completes. */
  readonly saveModelTo?: string;
  /**
   * Starts from saved weights (a model.safetensors of an earlier run, for example a vanilla ReLU model
   * to sparsify with the fine-tuning variants). They are loaded before 'modelBuilt', so parameters that
   * plugins add then (zeroth-bias tables) start from their own initial values.
   */
  readonly initWeights?: string;
  /** Flatness estimators to run during training, by contribution name, with their schedules. */
  readonly estimators?: readonly EstimatorSchedule[];
  /** The fixed batch and seed of every flatness estimate (default: 64 held-out examples, the run's seed). */
  readonly flatness?: FlatnessBatchSettings;
  /** Called with the records of every scheduled flatness estimate (also written to flatness.jsonl). */
  readonly onFlatness?: (records: readonly FlatnessRecord[]) => void;
  /**
   * The lock of `runDir`, already held by the caller (a sweep takes it before touching its result
   * files); the run neither takes nor releases it. None: the run takes it itself, before anything is
   * written, refusing a directory another live process writes (E_RUN_LOCKED), and releases it at the end.
   */
  readonly runLock?: RunLock;
}

/** What a pipeline run returns. */
export interface PipelineResult {
  readonly summary: TrainSummary;
  readonly backend: BackendInfo;
  readonly records: readonly TrainerRecord[];
  readonly runDir?: string;
}

/**
 * Runs a pipeline: checks the trainer settings and the run directory (a directory holding a run is
 * written only to resume or overwrite it), loads the data, composes the run (plugins validated, backend
 * selected and initialised, the model's memory checked), compares a resume with the run it continues,
 * then prepares the run directory, trains and writes it. Its run.json has the run's identity, status
 * and resumes. When training fails (a plugin fault, a non-finite step), the run
 * directory gets `failure.json` (code, plugin, event, step, message, steps completed, last checkpoint)
 * and a report showing it; checkpoints written before stay, to resume from. Warnings go to
 * `warnings.json` and `onWarning`. The model and the run are disposed whatever happens.
 */
export async function runPipeline(input: PipelineSpec): Promise<PipelineResult> {
  // A spec built in code is checked before anything runs: coded errors naming the key, never a TypeError.
  checkPipelineSpec(input);
  // The schedule is built once, here (options checked at 'train.lr'); the trainer gets the function.
  const spec: PipelineSpec = { ...input, train: { ...input.train, lr: withTrainPath(() => scheduleOf(input.train.lr, input.train.steps)) } };
  checkTrainSettings(spec.train);
  if (spec.runDir === undefined) return runLocked(spec, undefined).catch(outOfMemory);
  if (spec.runLock !== undefined) {
    if (resolve(spec.runLock.dir) !== resolve(spec.runDir)) throw new ConfigError('runLock', `is the lock of '${spec.runLock.dir}', not of the run directory '${spec.runDir}'.`, { fix: 'pass the lock acquireRunLock returned for runDir, or leave runLock out (the run takes it).' });
    return runLocked(spec, spec.runLock).catch(outOfMemory);
  }
  // One writer per run directory: the lock comes before anything is read to plan or written.
  await checkOutputDir(spec.runDir);
  const existed = existsSync(spec.runDir);
  const lock = await acquireRunLock(spec.runDir, { command: process.argv.slice(1).join(' ') || 'runPipeline' });
  try {
    return await runLocked(spec, lock).catch(outOfMemory);
  } finally {
    await lock.release();
    // A run refused before it wrote anything leaves no empty directory behind.
    if (!existed) await rmdir(spec.runDir).catch(() => undefined);
  }
}

/** Rethrows an allocation failure as E_OUT_OF_MEMORY (where the backend is known it was converted already). */
function outOfMemory(err: unknown): never {
  throw asOutOfMemory(err) ?? err;
}

/** runPipeline once the run directory (if any) is this process's. */
async function runLocked(spec: PipelineSpec, lock: RunLock | undefined): Promise<PipelineResult> {
  const plan = spec.runDir === undefined ? undefined : await planRunDirectory({ runDir: spec.runDir, resumeFrom: spec.resumeFrom, overwrite: spec.overwrite });
  if (plan?.mode === 'resume' && plan.step > spec.train.steps) {
    throw new ConfigError('train.steps', `is ${spec.train.steps}, but the checkpoint resumed (${plan.checkpoint}) is already at step ${plan.step}.`, {
      received: spec.train.steps,
      expected: `at least ${plan.step}`,
      fix: `resume from an earlier checkpoint (--resume ${plan.runDir}/checkpoints/step-XXXXXXXX), or train more steps (--steps).`,
    });
  }
  const resumeFrom = plan === undefined ? spec.resumeFrom : plan.checkpoint;
  const composed = await composePipeline({ ...spec, batchSize: spec.train.batchSize });
  const { run, dataset, resolved, model, metrics } = composed;
  const seed = spec.seed ?? 0;
  let estimators: EstimatorRunner | undefined;
  try {
    const { host } = run;
    const identity = runIdentity({ plugins: spec.plugins, activation: spec.activation, seed, batchSize: spec.train.batchSize }, resolved, dataset);
    const changes = plan?.mode === 'resume' ? compareIdentity(plan.previous?.identity, identity, plan.runDir, spec.allowChanged ?? false) : [];
    if (plan?.checkpoint !== undefined) await checkCheckpointFits(plan.checkpoint, model);
    if (spec.initWeights !== undefined && resumeFrom === undefined) await loadWeightsInto(model, spec.initWeights);
    spec.onStart?.({ backend: run.backend, model, dataset, skipped: run.skippedBackends });
    const dir = plan === undefined ? undefined : await openRunDirectory(spec, plan, facts(spec, dataset, run.backend, seed, resolved.config), identity, changes);
    const records: TrainerRecord[] = [];
    const warn = (warning: RunWarning) => {
      dir?.warn(warning);
      spec.onWarning?.(warning);
    };
    for (const w of trainSettingWarnings(spec.train, dataset)) warn(w);
    const growth = new LossGrowthWatch(Math.log(dataset.classes));
    const flagGrowth = (message: string, step: number) => {
      dir?.setRunInfo('lossGrowth', growth.flag);
      dir?.setFact('loss growth', `${message.split(':')[0]} (step ${step})`);
    };
    // The history a resume keeps: a flag it raised stays (its warning is in warnings.json already).
    for (const r of dir?.all() ?? []) {
      const grew = growth.observe(r);
      if (grew) flagGrowth(grew.message, r.step);
    }
    let lastFlush = 0;
    estimators = spec.estimators?.length ? new EstimatorRunner(model, dataset, host.contributions, spec.estimators, { ...spec.flatness, seed: spec.flatness?.seed ?? seed }) : undefined;
    const trainer = new Trainer({
      ...spec.train,
      model,
      dataset,
      host,
      metrics,
      seed,
      runDir: spec.runDir,
      resumeFrom,
      signal: spec.signal,
      estimators,
      onFlatness: async (got) => {
        spec.onFlatness?.(got);
        dir?.addFlatness(got);
        await dir?.flush();
      },
      onWarning: warn,
      sink: {
        write: async (record) => {
          records.push(record);
          spec.onRecord?.(record);
          const grew = growth.observe(record);
          if (grew) {
            warn(grew);
            flagGrowth(grew.message, record.step);
          }
          if (!dir) return;
          if (lock?.lost) await assertLockHeld(lock);
          dir.add(record);
          if (record.split === 'heldOut' || record.wallMs - lastFlush > 2000) {
            lastFlush = record.wallMs;
            await dir.flush();
          }
        },
        // Before every checkpoint: the history on disk must reach the checkpoint's step.
        flush: async () => dir?.flush(),
      },
    });
    let summary: TrainSummary;
    try {
      summary = await trainer.run();
    } catch (thrown) {
      // The training error is what the caller needs: a failure to record it must not replace it.
      // A run that lost its directory to another writer leaves it to that writer.
      if (thrown instanceof RunLockLostError) throw thrown;
      const err = asOutOfMemory(thrown, run.backend) ?? thrown;
      if (spec.resumeCommand !== undefined) dir?.setRunInfo('resume', spec.resumeCommand);
      await dir?.fail(describeFailure(err, trainer.progress)).catch(() => undefined);
      throw err;
    } finally {
      if (!lock?.lost) await dir?.flush().catch(() => undefined);
    }
    if (lock !== undefined) await assertLockHeld(lock);
    if (spec.saveModelTo !== undefined && !summary.stoppedEarly) await saveModel(model, spec.saveModelTo);
    const status = summary.stoppedEarly ? 'interrupted' : 'completed';
    await dir?.setStatus({ state: status, completedSteps: summary.steps, ...(status === 'interrupted' && spec.resumeCommand !== undefined ? { resume: spec.resumeCommand } : {}) });
    return { summary, backend: run.backend, records, runDir: spec.runDir };
  } finally {
    estimators?.dispose();
    await composed.dispose();
  }
}

/**
 * Carries out the run directory plan (removals for an overwrite, dropped checkpoints for a resume),
 * keeps the history before the resumed checkpoint, records identity and resumes in run.json, and writes
 * config.json and run.json.
 */
async function openRunDirectory(spec: PipelineSpec, plan: RunDirectoryPlan, runFacts: Record<string, string | number | boolean>, identity: object, changes: readonly IdentityChange[]): Promise<RunDirectory> {
  const removed = await applyRunDirectoryPlan(plan);
  spec.onRunDirectory?.({ ...plan, removed });
  const dir = new RunDirectory(plan.runDir, { title: spec.name ?? 'flatsparse run', config: spec.config, facts: runFacts });
  const resumes = Array.isArray(plan.previous?.resumes) ? [...(plan.previous.resumes as unknown[])] : [];
  if (plan.mode === 'resume') {
    await dir.continueFrom(plan.step, plan.history);
    resumes.push({ fromStep: plan.step, ...(plan.checkpoint === undefined ? {} : { checkpoint: plan.checkpoint }), time: new Date().toISOString(), droppedCheckpoints: plan.later.length, ...(changes.length ? { changed: changes } : {}) });
    dir.setRunInfo('resumes', resumes);
  }
  dir.setRunInfo('identity', identity);
  await dir.init();
  return dir;
}

function facts(spec: PipelineSpec, dataset: Dataset, backend: BackendInfo, seed: number, modelConfig: unknown): Record<string, string | number | boolean> {
  return {
    backend: `${backend.name} (tfjs '${backend.tfjsName}': ${backend.detail})${backend.fallback ? ` FALLBACK: ${backend.fallback}` : ''}`,
    model: `${spec.model.kind} ${JSON.stringify(modelConfig)}`,
    activation: spec.activation,
    data: `${dataset.name} (${dataset.train.size} train / ${dataset.heldOut.size} held-out; ${dataset.source})`,
    steps: spec.train.steps,
    batchSize: spec.train.batchSize,
    seed,
    metrics: (spec.metrics ?? []).join(', '),
    ...(spec.estimators?.length ? { estimators: spec.estimators.map((e) => e.name).join(', ') } : {}),
  };
}

/** Runs `fn`; a ConfigError it throws at 'lr...' is re-thrown at 'train.lr...' (the key a config names). */
function withTrainPath<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError && (err.path === 'lr' || err.path.startsWith('lr.'))) throw err.at(`train.${err.path}`);
    throw err;
  }
}
