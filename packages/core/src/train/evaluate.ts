import * as tf from '@tensorflow/tfjs-core';
import type { DataSplit, TrainableModel } from '@flatsparse/plugin-api';
import { sequentialBatches } from './batch-sampler.js';
import { computeFigures, reduceOf, summariseFigure, type FigureSummary, type MetricErrorHandler, type NamedMetric } from './metric-figures.js';
import { readTogether } from './train-record.js';

/** What a held-out pass measured. */
export interface EvaluationResult {
  /** Mean loss per example (no label smoothing). */
  readonly loss: number;
  /** Fraction of correct argmax predictions (per token for sequences). */
  readonly accuracy: number;
  /** Forward-only metric figures per layer: the batches' values averaged with weights by batch size. */
  readonly figures: Record<string, FigureSummary>;
  /** Examples seen. */
  readonly examples: number;
}

interface Sums {
  readonly loss: tf.Scalar;
  readonly correct: tf.Scalar;
  readonly figures: Record<string, tf.Tensor1D>;
}

/** Options of `evaluate`. */
export interface EvaluateSplitOptions {
  /** Examples per batch. */
  readonly batchSize: number;
  /** Only the first this many batches (default: the whole split). */
  readonly maxBatches?: number;
  /** The step passed to the forward pass (activations with ramps). */
  readonly step: number;
  /** Metrics to measure (those that need gradients are skipped). */
  readonly metrics: readonly NamedMetric[];
  /** Receives a metric that throws; returning drops it for the rest of the pass (default: the error propagates). */
  readonly onMetricError?: MetricErrorHandler;
}

/**
 * Evaluates the model on the first `maxBatches` batches of a split in evaluation mode (training: false,
 * no probes, no gradients). Loss, correct predictions and the figures of the metrics that need no
 * gradients are summed on the device and read back once at the end.
 */
export async function evaluate(model: TrainableModel, split: DataSplit, options: EvaluateSplitOptions): Promise<EvaluationResult> {
  let metrics = options.metrics.filter((m) => !m.metric.needsGradients);
  const onMetricError: MetricErrorHandler | undefined =
    options.onMetricError &&
    ((metric, error) => {
      options.onMetricError!(metric, error);
      metrics = metrics.filter((m) => m !== metric);
    });
  let sums: Sums | undefined;
  let examples = 0;
  let predictions = 0;
  try {
    for (const batch of sequentialBatches(split, options.batchSize, options.maxBatches)) {
      const previous: Sums | undefined = sums;
      try {
        sums = tf.tidy(() => {
          const { output, captures } = model.forward(batch.inputs, { training: false, step: options.step });
          const size = batch.inputs.shape[0]!;
          const loss = tf.mul(model.loss(output, batch.targets), size) as tf.Scalar;
          const hits = tf.equal(tf.argMax(output, -1), tf.cast(batch.targets, 'int32'));
          const correct = tf.sum(tf.cast(hits, 'float32')) as tf.Scalar;
          const figures = Object.fromEntries(Object.entries(computeFigures(metrics, captures, onMetricError)).map(([name, t]) => [name, tf.mul(t, size) as tf.Tensor1D]));
          if (previous === undefined) return { loss, correct, figures };
          const summed: Record<string, tf.Tensor1D> = {};
          for (const [name, t] of Object.entries(figures)) summed[name] = previous.figures[name] ? (tf.add(previous.figures[name], t) as tf.Tensor1D) : t;
          return { loss: tf.add(previous.loss, loss) as tf.Scalar, correct: tf.add(previous.correct, correct) as tf.Scalar, figures: summed };
        });
      } finally {
        examples += batch.inputs.shape[0]!;
        predictions += batch.targets.size;
        tf.dispose([batch.inputs, batch.targets]);
        if (previous !== undefined && previous !== sums) disposeSums(previous);
      }
    }
    if (sums === undefined) return { loss: Number.NaN, accuracy: Number.NaN, figures: {}, examples: 0 };
    const values = await readTogether(new Map<string, tf.Tensor>([['loss', sums.loss], ['correct', sums.correct], ...Object.entries(sums.figures)]));
    const figures: Record<string, FigureSummary> = {};
    for (const name of Object.keys(sums.figures)) {
      figures[name] = summariseFigure(values.get(name)!.map((v) => v / examples), reduceOf(metrics, name));
    }
    return { loss: values.get('loss')![0]! / examples, accuracy: values.get('correct')![0]! / predictions, figures, examples };
  } finally {
    if (sums !== undefined) disposeSums(sums);
  }
}

function disposeSums(sums: Sums): void {
  sums.loss.dispose();
  sums.correct.dispose();
  for (const t of Object.values(sums.figures)) t.dispose();
}
