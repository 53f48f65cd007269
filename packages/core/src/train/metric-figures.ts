import * as tf from '@tensorflow/tfjs-core';
import type { MlpCapture } from '../mlp-capture.js';
import type { SparsityMetric } from '../sparsity-metric.js';

/** A metric under the name its figures are reported with (`${name}.${figure}`). */
export interface NamedMetric {
  readonly name: string;
  readonly metric: SparsityMetric;
}

/** One figure after read-back: the value of every layer and their mean (and sum for 'sum' metrics). */
export interface FigureSummary {
  readonly mean: number;
  readonly perLayer: number[];
  readonly sum?: number;
}

/**
 * Computes every figure of every metric for every captured MLP block, on the device: returns
 * `${metricName}.${figure}` -> a [layers] tensor (the caller owns it). Metrics whose `needsGradients`
 * is set are skipped when the captures have no gradients. A layer that lacks a figure the first layer
 * has gets NaN. Nothing is read back.
 */
export function computeFigures(metrics: readonly NamedMetric[], captures: readonly MlpCapture[]): Record<string, tf.Tensor1D> {
  const hasGradients = captures.every((c) => c.dp !== undefined && c.da !== undefined && c.dz !== undefined);
  const out: Record<string, tf.Tensor1D> = {};
  if (captures.length === 0) return out;
  for (const { name, metric } of metrics) {
    if (metric.needsGradients && !hasGradients) continue;
    const perLayer = captures.map((capture) => tf.tidy(() => metric.compute(capture)));
    const figures = Object.keys(perLayer[0] ?? {});
    for (const figure of figures) {
      out[`${name}.${figure}`] = tf.tidy(() => tf.stack(perLayer.map((values) => tf.reshape(values[figure] ?? tf.scalar(Number.NaN), []))) as tf.Tensor1D);
    }
    for (const values of perLayer) for (const t of Object.values(values)) t.dispose();
  }
  return out;
}

/** Summarises read-back per-layer values of a figure according to the metric's `reduce`. */
export function summariseFigure(perLayer: readonly number[], reduce: SparsityMetric['reduce'] = 'mean'): FigureSummary {
  const sum = perLayer.reduce((a, b) => a + b, 0);
  const mean = perLayer.length > 0 ? sum / perLayer.length : Number.NaN;
  return reduce === 'sum' ? { mean, perLayer: [...perLayer], sum } : { mean, perLayer: [...perLayer] };
}

/** The `reduce` of the metric a figure name belongs to. */
export function reduceOf(metrics: readonly NamedMetric[], figureName: string): SparsityMetric['reduce'] {
  return metrics.find((m) => figureName.startsWith(`${m.name}.`))?.metric.reduce;
}
