import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { NATIVE_TFJS_NAME, nativeBackend } from '@flatsparse/backend-native';
import { useBackend } from '../support/backend.js';
import { describeMetricFigures } from '../support/metric-figures-cases.js';

// computeFigures' evaluation order and shared passes on the native fused kernels (see test/support/metric-figures-cases.ts).
const state = await useBackend(nativeBackend());
describeMetricFigures('native', state.available);

// The shared cases above only mean something if they ran where this file says they do.
it.skipIf(!state.available)('runs the shared cases on the native backend, not on a fallback', () => {
  expect(tf.getBackend()).toBe(NATIVE_TFJS_NAME);
});
