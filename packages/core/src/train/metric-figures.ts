import * as tf from '@tensorflow/tfjs-core';
import type { MlpCapture, SparsityMetric } from '@flatsparse/plugin-api';

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
 * Called when a metric throws, in `compute` or when its figures are stacked over layers. Throw to stop
 * the pass; return to drop that metric from the pass (its other tensors are released).
 */
export type MetricErrorHandler = (metric: NamedMetric, error: unknown) => void;

const rethrow: MetricErrorHandler = (_metric, error) => {
  throw error;
};

/**
 * Computes every figure of every metric for every captured MLP block, on the device: returns
 * `${metricName}.${figure}` -> a [layers] tensor (the caller owns it). Metrics whose `needsGradients`
 * is set are skipped when the captures have no gradients. A layer that lacks a figure the first layer
 * has gets NaN. Nothing is read back. All metrics of one layer run inside one tf.tidy, so metrics can
 * share intermediate tensors of the same capture (the standard ones share their interval counts); within
 * a layer the metrics that need gradients are evaluated first (the figures are returned in the
 * given order).
 * A metric that throws goes to `onError` (default: the error propagates), isolated from the others.
 */
export function computeFigures(metrics: readonly NamedMetric[], captures: readonly MlpCapture[], onError: MetricErrorHandler = rethrow): Record<string, tf.Tensor1D> {
  const hasGradients = captures.every((c) => c.dp !== undefined && c.da !== undefined && c.dz !== undefined);
  const out: Record<string, tf.Tensor1D> = {};
  const used = metrics.filter(({ metric }) => !(metric.needsGradients && !hasGradients));
  if (captures.length === 0 || used.length === 0) return out;
  const failed = new Set<number>();
  const perLayer: Record<string, tf.Tensor>[][] = [];
  // Gradient metrics first: their passes read more tensors at once and leave by-products (the counts of
  // p against the flat regions) that forward-only metrics of the same layer then reuse.
  const evaluationOrder = used.map((_, m) => m).sort((i, j) => Number(used[j]!.metric.needsGradients === true) - Number(used[i]!.metric.needsGradients === true));
  try {
    for (const capture of captures) {
      perLayer.push(
        tf.tidy(() => {
          const figures: Record<string, tf.Tensor>[] = used.map(() => ({}));
          for (const m of evaluationOrder) {
            if (failed.has(m)) continue;
            const named = used[m]!;
            try {
              figures[m] = { ...named.metric.compute(capture) };
            } catch (err) {
              failed.add(m);
              onError(named, err);
            }
          }
          return figures;
        }),
      );
    }
    used.forEach((named, m) => {
      if (failed.has(m)) return;
      const stacked: Record<string, tf.Tensor1D> = {};
      try {
        for (const figure of Object.keys(perLayer[0]?.[m] ?? {})) {
          stacked[`${named.name}.${figure}`] = tf.tidy(() => tf.stack(perLayer.map((layer) => tf.reshape(layer[m]?.[figure] ?? tf.scalar(Number.NaN), []))) as tf.Tensor1D);
        }
      } catch (err) {
        tf.dispose(Object.values(stacked));
        onError(named, err);
        return;
      }
      Object.assign(out, stacked);
    });
  } catch (err) {
    tf.dispose(Object.values(out));
    throw err;
  } finally {
    for (const layer of perLayer) for (const values of layer) tf.dispose(Object.values(values));
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
