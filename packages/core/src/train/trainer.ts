import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteStepError } from '../errors.js';
import { ConfigError, Rng, type Schedule } from '@flatsparse/plugin-api';
import { PluginNonFiniteError, RunDisposedError } from '@flatsparse/plugin-api/host';
import type { RunWarning } from '../faults/fault-records.js';
import { MetricFaults } from '../faults/metric-faults.js';
import { AdamW } from './adamw.js';
import { BatchSampler, makeBatch } from './batch-sampler.js';
import { shiftImages } from './augment.js';
import { CHECKPOINT_FORMAT, pruneCheckpoints, readCheckpoint, restoreParams, writeCheckpoint, type CheckpointState } from './checkpoint.js';
import { registerGradients } from '../gradients.js';
import { evaluate } from './evaluate.js';
import { scheduleOf, type LrScheduleOptions } from './lr-schedule.js';
import { reduceOf, summariseFigure, type FigureSummary } from './metric-figures.js';
import { NonFiniteGuard, type NonFiniteStep } from './non-finite-guard.js';
import { loadPluginStates, savePluginStates } from './plugin-states.js';
import { readTogether, type TrainerRecord } from './train-record.js';
import { disposeMeasures, trainStep, type StepContext, type StepMeasures } from './train-step.js';
import { parseTrainerOptions, type ResolvedTrainerOptions, type TrainerOptions } from './trainer-options.js';

/** What `run()` returns. */
export interface TrainSummary {
  /** Steps completed (including those before a resume). */
  readonly steps: number;
  /** The last train record, if any was written. */
  readonly finalTrain?: TrainerRecord;
  /** The last held-out record, if any evaluation ran. */
  readonly finalHeldOut?: TrainerRecord;
  /** Checkpoint directories written by this run, oldest first (pruned ones included). */
  readonly checkpoints: readonly string[];
  /** True when the run was stopped through `signal` before reaching `steps`. */
  readonly stoppedEarly?: boolean;
  /** Warnings of the run (for example metrics disabled after a fault); absent when there were none. */
  readonly warnings?: readonly RunWarning[];
}

/** How far a run got: steps completed and the newest checkpoint written (or resumed from). */
export interface TrainProgress {
  readonly completedSteps: number;
  readonly lastCheckpoint?: string;
}

/**
 * The training loop; it emits the events in the order of EVENTS (@flatsparse/plugin-api). Per step:
 * 'beforeForward'; one tf.tidy (trainStep) in which the run's update method (or the default) gets its
 * gradients from the step's passes, then figures at logging steps, clipping, the non-finite gate and
 * AdamW; then projections and 'afterStep'. Nothing is read back inside a step:
 * losses, figures and the non-finite flag are read in one transfer at logging steps (and at evaluation
 * and checkpoint steps). A non-finite step freezes the parameters on the device and stops the run at
 * the next read-back with NonFiniteStepError (or, when a regularizer's loss term was the non-finite
 * value, E_PLUGIN_NON_FINITE naming its plugin). 'modelBuilt' comes first, 'end' last (also on failure,
 * with reason 'failed'; checkpoints already written stay). Plugin faults: see PluginHost (hooks and
 * projections) and MetricFaults (metrics, with the `faults.metrics` policy).
 */
export class Trainer {
  private readonly o: ResolvedTrainerOptions;
  private readonly schedule: Schedule;
  private readonly optimizer: AdamW;
  private readonly guard = new NonFiniteGuard();
  private readonly metricFaults: MetricFaults;
  private rng: Rng;
  private sampler: BatchSampler;
  private completed = 0;
  private lastTrain: TrainerRecord | undefined;
  private lastHeldOut: TrainerRecord | undefined;
  private lastCheckpoint: string | undefined;
  private checkpointStep = -1;
  private readonly written: string[] = [];
  /** Records and flatness estimates handed on so far (saved in checkpoints: a resume keeps exactly those before it). */
  private recordCount = 0;
  private flatnessCount = 0;
  private started = 0;
  private used = false;

  constructor(options: TrainerOptions) {
    this.o = parseTrainerOptions(options);
    const lr = this.o.lr;
    this.schedule = scheduleOf(lr as number | Schedule | LrScheduleOptions, this.o.steps);
    this.optimizer = new AdamW(this.o.optimizer);
    this.rng = new Rng(this.o.seed);
    this.sampler = new BatchSampler(this.o.dataset.train, this.rng.fork(), true, `${this.o.dataset.name}/train`);
    this.metricFaults = new MetricFaults(this.o.metrics, this.o.host.contributions, this.o.faults.metrics, this.o.onWarning);
  }

  /** Steps completed so far and the newest checkpoint (what a failed run leaves to resume from). */
  get progress(): TrainProgress {
    return { completedSteps: this.completed, ...(this.lastCheckpoint === undefined ? {} : { lastCheckpoint: this.lastCheckpoint }) };
  }

  /** A trainer that continues from a checkpoint directory (or a run directory's latest checkpoint). */
  static resume(checkpoint: string, options: TrainerOptions): Trainer {
    return new Trainer({ ...options, resumeFrom: checkpoint });
  }

  /** Trains to `steps`, evaluating, logging and checkpointing as configured. Call once. */
  async run(): Promise<TrainSummary> {
    if (this.used) throw new RunDisposedError('run this Trainer a second time (build a new Trainer, or resume from a checkpoint)');
    this.used = true;
    const { host, model } = this.o;
    this.started = performance.now();
    let stopped = false;
    try {
      await registerGradients();
      const resumed = this.o.resumeFrom === undefined ? undefined : await readCheckpoint(this.o.resumeFrom);
      if (resumed) loadPluginStates(host.plugins, resumed.state.plugins, resumed.state.step);
      await host.emit('modelBuilt', { step: resumed?.state.step ?? 0, model });
      if (resumed) {
        restoreParams(model, resumed.model, `${resumed.dir}/model.safetensors`);
        this.optimizer.importState(resumed.state.optimizerStep, resumed.optimizer, model.params, `${resumed.dir}/optimizer.safetensors`);
        this.rng = Rng.fromState(resumed.state.rng);
        this.sampler = BatchSampler.fromState(this.o.dataset.train, resumed.state.sampler, `${this.o.dataset.name}/train`);
        this.completed = resumed.state.step;
        this.lastTrain = resumed.state.history.lastTrain as TrainerRecord | undefined;
        this.lastHeldOut = resumed.state.history.lastHeldOut as TrainerRecord | undefined;
        this.lastCheckpoint = resumed.dir;
        this.checkpointStep = resumed.state.step;
        const count = (v: unknown) => (typeof v === 'number' ? v : 0);
        this.recordCount = count(resumed.state.history.records);
        this.flatnessCount = count(resumed.state.history.flatness);
      }
      const faults = this.metricFaults;
      const context: StepContext = {
        model,
        host,
        optimizer: this.optimizer,
        guard: this.guard,
        get metrics() {
          return faults.active;
        },
        labelSmoothing: this.o.labelSmoothing,
        clipNorm: this.o.clipNorm,
        update: host.updateMethod(),
        onMetricError: (metric, step, error) => faults.threw(metric, step, error),
      };
      let dirty = false;
      if (!resumed && this.completed < this.o.steps) await this.estimate({ start: true, last: false, checkpoint: false });
      for (let step = this.completed; step < this.o.steps; step++) {
        // A step may never leave the microtask queue (wasm read-backs resolve at once): with a signal, yield
        // to the event loop once per step so that an abort (SIGINT, SIGTERM) is seen before the next step.
        if (this.o.signal !== undefined) await new Promise((resolve) => setImmediate(resolve));
        if (this.o.signal?.aborted) {
          stopped = true;
          break;
        }
        const last = step === this.o.steps - 1;
        const measure = last || (step + 1) % this.o.logEvery === 0;
        const evalNow = last || (this.o.evalEvery !== undefined && (step + 1) % this.o.evalEvery === 0);
        const checkpointNow = this.o.runDir !== undefined && this.o.checkpointEvery !== undefined && (last || (step + 1) % this.o.checkpointEvery === 0);
        const lr = this.schedule(step);
        const batch = this.trainingBatch(step);
        let measures: StepMeasures | undefined;
        try {
          host.emitSync('beforeForward', { step, batch, training: true });
          measures = trainStep(context, step, batch, lr, measure);
          host.project(model, step);
          host.emitSync('afterStep', { step, model });
          this.completed = step + 1;
          dirty = true;
          if (measures) await this.logTrain(step, lr, measures);
          else if (evalNow || checkpointNow) await this.checkFinite();
          dirty = false;
        } finally {
          disposeMeasures(measures);
          tf.dispose([batch.inputs, batch.targets]);
        }
        if (evalNow) await this.evaluate(step);
        // Estimates due at a checkpoint are taken before it is written: a checkpoint covers everything up to its step.
        await this.estimate({ last, checkpoint: checkpointNow });
        if (checkpointNow) await this.checkpoint();
      }
      if (stopped && dirty) await this.checkFinite();
      if (stopped && this.completed > 0) {
        // A stopped run (an interrupt) always leaves a checkpoint to resume from, taken before the closing evaluation.
        if (this.o.runDir !== undefined && this.checkpointStep !== this.completed) await this.checkpoint();
        if (this.lastHeldOut?.step !== this.completed - 1) await this.evaluate(this.completed - 1);
      }
    } catch (err) {
      await host.emit('end', { step: this.completed, reason: 'failed', error: err }).catch(() => undefined);
      this.dispose();
      throw err;
    }
    this.dispose();
    await host.emit('end', { step: this.completed, reason: stopped ? 'stopped' : 'completed' });
    return {
      steps: this.completed,
      ...(this.lastTrain ? { finalTrain: this.lastTrain } : {}),
      ...(this.lastHeldOut ? { finalHeldOut: this.lastHeldOut } : {}),
      checkpoints: [...this.written],
      ...(stopped ? { stoppedEarly: true } : {}),
      ...(this.metricFaults.recorded.length > 0 ? { warnings: [...this.metricFaults.recorded] } : {}),
    };
  }

  /** Releases the optimiser state and the non-finite flag (run() does it when it returns). */
  dispose(): void {
    this.optimizer.dispose();
    this.guard.dispose();
  }

  /**
   * Reads a logging step's loss, terms, figures and the non-finite state in one transfer; checks the
   * figures (a NaN or infinite one is a fault of its metric); writes the record.
   */
  /** The batch of a step: the sampler's next examples, with the images shifted when `augment` asks for it. */
  private trainingBatch(step: number): ReturnType<BatchSampler['next']> {
    const augment = this.o.augment;
    if (augment === undefined || augment.shift === 0) return this.sampler.next(this.o.batchSize);
    const split = this.o.dataset.train;
    if (split.inputShape.length !== 3) {
      throw new ConfigError('train.augment', `shifts apply to images [H, W, C]; this data set's inputs are [${split.inputShape.join(', ')}].`, { received: augment, fix: 'remove train.augment for token data.' });
    }
    const indices = this.sampler.nextIndices(this.o.batchSize);
    return makeBatch(split, indices, (inputs, shape) => shiftImages(inputs, shape as [number, number, number, number], augment, this.o.seed, step));
  }

  private async logTrain(step: number, lr: number, measures: StepMeasures): Promise<void> {
    const named = new Map<string, tf.Tensor>([['loss', measures.loss]]);
    for (const [name, t] of Object.entries(measures.lossTerms)) named.set(`term:${name}`, t);
    for (const [name, t] of Object.entries(measures.figures)) named.set(`figure:${name}`, t);
    const guard = this.guard.state();
    named.set('guard', guard);
    let values: Map<string, number[]>;
    try {
      values = await readTogether(named);
    } finally {
      guard.dispose();
    }
    this.throwIfBad(this.guard.decode(values.get('guard')!));
    const lossTerms: Record<string, number> = {};
    for (const name of Object.keys(measures.lossTerms)) lossTerms[name] = values.get(`term:${name}`)![0]!;
    const read: Record<string, FigureSummary> = {};
    for (const name of Object.keys(measures.figures)) read[name] = summariseFigure(values.get(`figure:${name}`)!, reduceOf(this.o.metrics, name));
    const figures = this.metricFaults.checkFigures(step, read);
    const record: TrainerRecord = { step, split: 'train', loss: values.get('loss')![0]!, lr, figures, lossTerms, wallMs: this.wallMs() };
    this.lastTrain = record;
    this.recordCount++;
    await this.o.sink?.write(record);
  }

  /**
   * Runs the flatness estimators due after the completed steps (the parameters are known finite: every
   * estimate after a step first checks the non-finite flag).
   */
  private async estimate(when: { readonly start?: boolean; readonly last: boolean; readonly checkpoint: boolean }): Promise<void> {
    const runner = this.o.estimators;
    if (runner === undefined) return;
    const due = runner.due(this.completed, when);
    if (due.length === 0) return;
    if (!when.start) await this.checkFinite();
    const records = await runner.run(this.completed, due);
    this.flatnessCount += records.length;
    await this.o.onFlatness?.(records);
  }

  /** Reads only the non-finite state (before an evaluation or a checkpoint at a non-logging step). */
  private async checkFinite(): Promise<void> {
    const guard = this.guard.state();
    try {
      this.throwIfBad(this.guard.decode(Array.from(await guard.data())));
    } finally {
      guard.dispose();
    }
  }

  /** Stops at a non-finite step: E_PLUGIN_NON_FINITE when a loss term was not finite, else E_NON_FINITE. */
  private throwIfBad(bad: NonFiniteStep | undefined): void {
    if (bad === undefined) return;
    const owner = bad.term && this.o.host.lossTerms.find((t) => t.term.name === bad.term!.name)?.plugin;
    if (bad.term === undefined || owner === undefined) throw new NonFiniteStepError(bad.step, 'the loss or the global gradient norm', this.lastCheckpoint);
    throw new PluginNonFiniteError(
      owner,
      `lossTerm '${bad.term.name}'`,
      bad.step,
      `the weighted loss term '${bad.term.name}'`,
      bad.term.value,
      `fix the loss term of '${owner}' (or its weight schedule). Parameters stayed those of the last good step; resume from ${this.lastCheckpoint ?? 'the start (no checkpoint was written yet)'} once fixed.`,
    );
  }

  /** Held-out pass, record, and the 'evaluation' event. */
  private async evaluate(step: number): Promise<void> {
    const split = this.o.dataset.heldOut;
    if (split.size === 0 || this.o.evalBatches === 0) return;
    const result = await evaluate(this.o.model, split, {
      batchSize: this.o.evalBatchSize ?? this.o.batchSize,
      maxBatches: this.o.evalBatches,
      step,
      metrics: this.metricFaults.active,
      onMetricError: (metric, error) => this.metricFaults.threw(metric, step, error),
    });
    const checked = this.metricFaults.checkFigures(step, result.figures);
    const record: TrainerRecord = { step, split: 'heldOut', loss: result.loss, accuracy: result.accuracy, lr: this.schedule(step), figures: checked, lossTerms: {}, wallMs: this.wallMs() };
    this.lastHeldOut = record;
    this.recordCount++;
    await this.o.sink?.write(record);
    const figures: Record<string, number> = { loss: result.loss, accuracy: result.accuracy };
    for (const [name, f] of Object.entries(checked)) {
      figures[name] = f.mean;
      f.perLayer.forEach((v, layer) => (figures[`${name}.layer${layer}`] = v));
    }
    await this.o.host.emit('evaluation', { step, split: 'heldOut', figures });
  }

  /** Writes a checkpoint of the state after `completed` steps (after the sink persisted the history) and prunes old ones. */
  private async checkpoint(): Promise<void> {
    const runDir = this.o.runDir!;
    await this.o.sink?.flush?.();
    const optimizer = await this.optimizer.exportState();
    const state: CheckpointState = {
      format: CHECKPOINT_FORMAT,
      step: this.completed,
      optimizerStep: optimizer.step,
      rng: this.rng.state(),
      sampler: { ...this.sampler.state(), rng: [...this.sampler.state().rng] },
      plugins: savePluginStates(this.o.host.plugins, this.completed),
      history: { lastTrain: this.lastTrain, lastHeldOut: this.lastHeldOut, records: this.recordCount, flatness: this.flatnessCount },
      modelKind: this.o.model.kind,
    };
    const dir = await writeCheckpoint(runDir, { params: this.o.model.params, optimizer: optimizer.tensors, state });
    this.lastCheckpoint = dir;
    this.checkpointStep = this.completed;
    this.written.push(dir);
    if (this.o.keepCheckpoints !== undefined) await pruneCheckpoints(runDir, this.o.keepCheckpoints);
  }

  private wallMs(): number {
    return performance.now() - this.started;
  }
}
