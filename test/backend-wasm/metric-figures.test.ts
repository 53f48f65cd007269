import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { useBackend } from '../support/backend.js';
import { describeMetricFigures } from '../support/metric-figures-cases.js';

// computeFigures' evaluation order and shared passes on wasm's plain ops (see test/support/metric-figures-cases.ts).
const state = await useBackend(wasmBackend());
describeMetricFigures('wasm', state.available);

// The shared cases above only mean something if they ran where this file says they do.
it.skipIf(!state.available)('runs the shared cases on the wasm backend, not on a fallback', () => {
  expect(tf.getBackend()).toBe('wasm');
});
