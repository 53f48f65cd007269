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
 * has gets NaN. Nothing is read back. All metrics of one layer run inside one tf.tidy, so metrics can
 * share intermediate tensors of the same capture (the standard ones share their interval indicators).
 */
export function computeFigures(metrics: readonly NamedMetric[], captures: readonly MlpCapture[]): Record<string, tf.Tensor1D> {
  const hasGradients = captures.every((c) => c.dp !== undefined && c.da !== undefined && c.dz !== undefined);
  const out: Record<string, tf.Tensor1D> = {};
  const used = metrics.filter(({ metric }) => !(metric.needsGradients && !hasGradients));
  if (captures.length === 0 || used.length === 0) return out;
  const perLayer = captures.map((capture) => tf.tidy(() => used.map(({ metric }) => ({ ...metric.compute(capture) }))));
  try {
    used.forEach(({ name }, m) => {
      for (const figure of Object.keys(perLayer[0]?.[m] ?? {})) {
        out[`${name}.${figure}`] = tf.tidy(() => tf.stack(perLayer.map((layer) => tf.reshape(layer[m]?.[figure] ?? tf.scalar(Number.NaN), []))) as tf.Tensor1D);
      }
    });
  } finally {
    for (const layer of perLayer) for (const values of layer) for (const t of Object.values(values)) t.dispose();
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
