import { parseOptions, type MlpCapture, type ModelView, type Plugin, type SparsityMetric } from '@flatsparse/plugin-api';
import { PluginError } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { BUILTIN_API_RANGE, BUILTIN_PLUGIN_VERSION } from '../plugin-meta.js';

/** Options of the LayerNorm-scale diagnostic. */
export interface LayerNormScaleOptions {
  /** The bound of M2 (restricted LayerNorm) that `atBound` counts against (default 1). */
  readonly bound?: number;
  /** An entry within this distance of the bound counts as at it (default 1e-6). */
  readonly tolerance?: number;
}

const PLUGIN = 'layer-norm-scale';
const schema = z.strictObject({ bound: z.number().finite().default(1), tolerance: z.number().nonnegative().default(1e-6) });

/**
 * mean, min and the fraction of entries at `bound` (|gamma - bound| <= tolerance) of a LayerNorm
 * scale gamma [d], as scalar tensors. With M2 every entry is >= bound and the fraction says how many
 * the projection holds there; without it the scales drift freely (under weight decay they sink).
 */
export function layerNormScaleOf(scale: tf.Tensor, bound = 1, tolerance = 1e-6): { mean: tf.Scalar; min: tf.Scalar; atBound: tf.Scalar } {
  return tf.tidy(() => ({
    mean: tf.mean(scale) as tf.Scalar,
    min: tf.min(scale) as tf.Scalar,
    // |gamma - bound| <= tol  <=>  1 - step(|gamma - bound| - tol)
    atBound: tf.mean(tf.sub(1, tf.step(tf.sub(tf.abs(tf.sub(scale, bound)), tolerance)))) as tf.Scalar,
  }));
}

/**
 * The diagnostic metric 'layer-norm-scale' ({ mean, min, atBound } of the scale of the LayerNorm
 * feeding each MLP block). It reads the model's parameters, which the plugin's 'modelBuilt' hook hands
 * it: use it through `layerNormScale()`. A block without a LayerNorm scale gets no figures.
 */
export function layerNormScaleMetric(options: LayerNormScaleOptions = {}): SparsityMetric & { bind(model: ModelView): void } {
  const { bound, tolerance } = parseOptions(schema, options, { plugin: PLUGIN });
  let model: ModelView | undefined;
  return Object.freeze({
    name: 'layer-norm-scale',
    bind: (m: ModelView) => void (model = m),
    compute: (capture: MlpCapture) => {
      if (model === undefined) {
        throw new PluginError(PLUGIN, 'compute', undefined, new Error('no model is bound'), "add the metric through its plugin 'layer-norm-scale' (its 'modelBuilt' hook gives it the model's parameters).");
      }
      const name = capture.block.lnScale;
      const scale = name === undefined ? undefined : model.params.get(name);
      return scale === undefined ? {} : layerNormScaleOf(scale, bound, tolerance);
    },
  });
}

/**
 * Plugin 'layer-norm-scale': contributes the metric 'layer-norm-scale', the MLP LayerNorm scales per
 * layer (mean, min, fraction at the M2 bound), so a run shows whether restricted LayerNorm binds (the
 * scales sinking below 1 in a vanilla run under weight decay, held at 1 with M2).
 */
export function layerNormScale(options: LayerNormScaleOptions = {}): Plugin {
  const metric = layerNormScaleMetric(options);
  return {
    name: PLUGIN,
    version: BUILTIN_PLUGIN_VERSION,
    apiVersion: BUILTIN_API_RANGE,
    contributes: { metrics: [metric] },
    hooks: { modelBuilt: ({ model }) => metric.bind(model) },
  };
}
