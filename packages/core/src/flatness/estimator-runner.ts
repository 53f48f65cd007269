import * as tf from '@tensorflow/tfjs-core';
import { type Contributions, PluginError, PluginLeakError, checkFiniteFigures } from '@flatsparse/plugin-api/host';
import {
  type Dataset,
  ConfigError,
  FlatsparseError,
  type EstimateCost,
  type EstimateCurve,
  type EstimateRandomness,
  type FlatnessEstimate,
  type FlatnessEstimator,
  type FlatnessInput,
  type TrainableModel,
} from '@flatsparse/plugin-api';
import { registerGradients } from '../gradients.js';
import { makeBatch } from '../train/batch-sampler.js';
import { readTogether } from '../train/train-record.js';

/** When one estimator runs during training. */
export interface EstimatorSchedule {
  /** Name of the estimator (a contribution of a plugin in the pipeline, for example 'hessian-trace'). */
  readonly name: string;
  /** Runs after every `every` steps (none: only at the end and at checkpoints, as set below). */
  readonly every?: number;
  /** Runs after the last step (default true). */
  readonly atEnd?: boolean;
  /** Runs before the first step of a fresh run (default: true when `every` is set, so curves start at 0). */
  readonly atStart?: boolean;
  /** Runs whenever a checkpoint is written (default false). */
  readonly atCheckpoints?: boolean;
}

/** The fixed evaluation batch every estimate uses, so that figures are comparable across steps and checkpoints. */
export interface FlatnessBatchSettings {
  /** Examples in the batch (default 64, at most the size of the split). */
  readonly batchSize?: number;
  /** Split the batch is taken from (default 'heldOut'; 'train' when the held-out split is empty). */
  readonly split?: 'heldOut' | 'train';
  /** Seed of every estimate (default: the run's seed). The same seed at every step (common random numbers). */
  readonly seed?: number;
}

/** One estimate as written to the run directory (flatness.jsonl) and drawn in the report. */
export interface FlatnessRecord {
  /** Steps completed when the estimate was taken (0 before training). */
  readonly step: number;
  /** Estimator name. */
  readonly estimator: string;
  /** Plugin that contributed it. */
  readonly plugin: string;
  /** Named figures (finite). */
  readonly figures: Readonly<Record<string, number>>;
  /** Passes and wall time the estimate cost. */
  readonly cost: EstimateCost;
  /** Seed and number of probes, for randomised estimates. */
  readonly randomness?: EstimateRandomness;
  /** How Hessian-vector products were computed, and why. */
  readonly method?: { readonly hvp: 'finite-difference' | 'exact'; readonly reason: string };
  /** Curves such as a spectral density. */
  readonly curves?: Readonly<Record<string, EstimateCurve>>;
  /** Examples in the fixed batch and the split it came from. */
  readonly batch: { readonly size: number; readonly split: 'heldOut' | 'train' };
}

/**
 * Runs flatness estimators on a fixed evaluation batch: the first `batchSize` examples of a split, made
 * once, with the model in evaluation mode and the plain data loss (no label smoothing, no regularizer
 * terms). Each estimate is checked: it must leave no tensor behind, leave every parameter as it was
 * (bit-identical values, read back before and after) and return finite figures; any failure is
 * a PluginError naming the estimator's plugin, the event 'estimate' and the step.
 */
export class EstimatorRunner {
  private readonly estimators: readonly { schedule: EstimatorSchedule; estimator: FlatnessEstimator; plugin: string }[];
  private batch: { inputs: tf.Tensor; targets: tf.Tensor } | undefined;
  private readonly split: 'heldOut' | 'train';
  private readonly size: number;

  /**
   * Checks every schedule against the contributions (E_CONTRIBUTION_UNKNOWN, E_CONFIG_INVALID for a bad
   * `every`) and the data (a non-empty split); makes no tensor until the first estimate.
   */
  constructor(
    private readonly model: TrainableModel,
    dataset: Dataset,
    contributions: Contributions,
    schedules: readonly EstimatorSchedule[],
    private readonly settings: FlatnessBatchSettings & { readonly seed: number },
  ) {
    const seen = new Set<string>();
    this.estimators = schedules.map((schedule, i) => {
      if (seen.has(schedule.name)) throw new ConfigError(`estimators.${i}`, `the estimator '${schedule.name}' is scheduled twice.`, { received: schedule.name, fix: 'list each estimator once (merge the two entries).' });
      seen.add(schedule.name);
      if (schedule.every !== undefined && !(Number.isInteger(schedule.every) && schedule.every > 0)) {
        throw new ConfigError(`estimators.${i}.every`, 'must be a positive integer (steps between estimates).', { received: schedule.every, fix: 'set every: 100 (or leave it out to estimate only at the end).' });
      }
      const found = contributions.estimators.get(schedule.name);
      return { schedule, estimator: found.value, plugin: found.plugin };
    });
    const wanted = settings.split ?? 'heldOut';
    this.split = wanted === 'heldOut' && dataset.heldOut.size === 0 ? 'train' : wanted;
    const data = this.split === 'heldOut' ? dataset.heldOut : dataset.train;
    const batchSize = settings.batchSize ?? 64;
    if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new ConfigError('flatness.batchSize', 'must be a positive integer.', { received: batchSize, fix: 'set flatness.batchSize: 64.' });
    if (data.size === 0 && this.estimators.length > 0) throw new ConfigError('flatness.split', `the ${this.split} split of '${dataset.name}' is empty: there is no batch to estimate flatness on.`, { fix: "use split: 'train', or a data set with held-out examples." });
    this.size = Math.min(batchSize, data.size);
    this.dataOf = () => makeBatch(data, Array.from({ length: this.size }, (_, i) => i));
  }

  private readonly dataOf: () => { inputs: tf.Tensor; targets: tf.Tensor };

  /** Whether any estimator is scheduled. */
  get empty(): boolean {
    return this.estimators.length === 0;
  }

  /**
   * The estimators due after `completed` steps: `start` before the first step of a fresh run, `last`
   * after the run's final step, `checkpoint` when a checkpoint was just written.
   */
  due(completed: number, when: { readonly start?: boolean; readonly last: boolean; readonly checkpoint: boolean }): string[] {
    return this.estimators
      .filter(({ schedule: s }) =>
        when.start === true
          ? (s.atStart ?? s.every !== undefined)
          : (when.last && (s.atEnd ?? true)) || (when.checkpoint && s.atCheckpoints === true) || (s.every !== undefined && completed % s.every === 0),
      )
      .map(({ schedule }) => schedule.name);
  }

  /** Runs the named estimators (all if none are named) after `completed` steps, in schedule order. */
  async run(completed: number, names?: readonly string[]): Promise<FlatnessRecord[]> {
    await registerGradients();
    this.batch ??= this.dataOf();
    const { inputs, targets } = this.batch;
    const records: FlatnessRecord[] = [];
    for (const { estimator, plugin } of this.estimators) {
      if (names !== undefined && !names.includes(estimator.name)) continue;
      const input: FlatnessInput = {
        loss: () => tf.tidy(() => this.model.loss(this.model.forward(inputs, { training: false, step: completed }).output, targets)),
        params: this.model.params,
        seed: this.settings.seed,
      };
      const estimate = await checkedEstimate(estimator, plugin, input, completed, this.model);
      records.push({
        step: completed,
        estimator: estimator.name,
        plugin,
        figures: estimate.figures,
        cost: estimate.cost,
        ...(estimate.randomness ? { randomness: estimate.randomness } : {}),
        ...(estimate.method ? { method: estimate.method } : {}),
        ...(estimate.curves ? { curves: estimate.curves } : {}),
        batch: { size: this.size, split: this.split },
      });
    }
    return records;
  }

  /** Releases the fixed batch. */
  dispose(): void {
    if (this.batch) tf.dispose([this.batch.inputs, this.batch.targets]);
    this.batch = undefined;
  }
}

/** Runs one estimate with the leak, parameter and finiteness checks; failures are attributed to the plugin. */
async function checkedEstimate(estimator: FlatnessEstimator, plugin: string, input: FlatnessInput, step: number, model: TrainableModel): Promise<FlatnessEstimate> {
  const fail = (cause: unknown, fix?: string): PluginError => new PluginError(plugin, `estimate '${estimator.name}'`, step, cause, fix ?? (cause instanceof FlatsparseError ? cause.fix : undefined));
  const values = await readParamValues(model);
  const before = tf.memory().numTensors;
  let estimate: FlatnessEstimate;
  try {
    estimate = await estimator.estimate(input);
  } catch (err) {
    throw fail(err);
  }
  const event = `estimate '${estimator.name}'`;
  const after = tf.memory().numTensors;
  if (after > before) throw new PluginLeakError(plugin, event, step, after - before);
  const restored = await readParamValues(model);
  for (const [name, was] of values) {
    const now = restored.get(name);
    if (now === undefined || now.length !== was.length || now.some((x, i) => !Object.is(x, was[i]))) {
      throw fail(new Error(`parameter '${name}' was not restored`), 'an estimator must leave every parameter exactly as it found it: keep copies of the parameters it perturbs and assign them back (see snapshotParams in @flatsparse/core).');
    }
  }
  const figures = estimate?.figures;
  if (typeof figures !== 'object' || figures === null) throw fail(new Error(`returned ${JSON.stringify(estimate)} instead of { figures, cost }`));
  checkFiniteFigures(plugin, event, step, figures, 'check the estimator on this model; a divergent run or too small a finite-difference step can produce it.');
  return estimate;
}

/** Every parameter's values, read back in one transfer (an estimate costs many passes; this is small beside it). */
async function readParamValues(model: TrainableModel): Promise<Map<string, number[]>> {
  return readTogether(new Map(model.params));
}
