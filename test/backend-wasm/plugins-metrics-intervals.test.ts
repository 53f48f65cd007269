import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { useBackend } from '../support/backend.js';
import { describeIntervalCounts } from '../support/interval-cases.js';

// Exact interval counts on the plain-op path (see test/support/interval-cases.ts).
const state = await useBackend(wasmBackend());
describeIntervalCounts('wasm', state.available);

// The shared cases above only mean something if they ran where this file says they do.
it.skipIf(!state.available)('runs the shared cases on the wasm backend, not on a fallback', () => {
  expect(tf.getBackend()).toBe('wasm');
});
