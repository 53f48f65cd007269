import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { NATIVE_TFJS_NAME, nativeBackend } from '@flatsparse/backend-native';
import { useBackend } from '../support/backend.js';
import { describeIntervalCounts } from '../support/interval-cases.js';

// Exact interval counts on the native backend's fused kernels (see test/support/interval-cases.ts),
// on small tensors (rows shorter than the kernels' 32 lanes), on ones large enough to be split across
// threads, and on rows of 32-lane blocks plus a tail.
const state = await useBackend(nativeBackend());
describeIntervalCounts('native', state.available);
describeIntervalCounts('native', state.available, [16, 50, 256]);
describeIntervalCounts('native', state.available, [4, 33, 77]);

// The shared cases above only mean something if they ran where this file says they do.
it.skipIf(!state.available)('runs the shared cases on the native backend, not on a fallback', () => {
  expect(tf.getBackend()).toBe(NATIVE_TFJS_NAME);
});
