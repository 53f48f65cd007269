import { intervalCounts, parseOptions, sharedOutsideIndicator, type MlpCapture, type Plugin, type SparsityMetric } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { builtinPlugin } from '../plugin-meta.js';

/** The active-slope diagnostic takes no options. */
export type ActiveSlopeOptions = Record<string, never>;

/**
 * On the active entries of a block (p outside the activation's flat regions, sigma'(p) != 0): the
 * mean pre-activation p and the mean slope sigma'(p). For ReLU the slope is 1; J-SquaredReLU's is
 * 1 + p, so `meanSlope` - 1 is how far M3 is from plain ReLU (near 1 when pre-activations stay near 0).
 * NaN when no entry is active. Call inside tf.tidy.
 */
export function activeSlopeOf(capture: MlpCapture): { meanPre: tf.Scalar; meanSlope: tf.Scalar } {
  const { p, activation } = capture;
  const active = tf.sub(p.size, intervalCounts(p, activation.flatRegions).inside);
  const indicator = sharedOutsideIndicator(p, activation.flatRegions);
  const slope = activation.derivative(p, capture.context);
  return {
    meanPre: tf.div(tf.sum(tf.mul(p, indicator)), active) as tf.Scalar,
    meanSlope: tf.div(tf.sum(tf.mul(slope, indicator)), active) as tf.Scalar,
  };
}

/** The metric 'active-slope' ({ meanPre, meanSlope } on the active entries), from the forward pass. */
export function activeSlopeMetric(options: ActiveSlopeOptions = {}): SparsityMetric {
  parseOptions(z.strictObject({}), options, { plugin: 'active-slope' });
  return Object.freeze({ name: 'active-slope', compute: (capture: MlpCapture) => ({ ...activeSlopeOf(capture) }) });
}

/** Plugin 'active-slope': contributes the diagnostic metric 'active-slope' (whether M3 acts: its slope 1 + p above 1). */
export function activeSlope(options: ActiveSlopeOptions = {}): Plugin {
  return builtinPlugin('active-slope', { metrics: [activeSlopeMetric(options)] });
}

