import { nativeBackend } from '@flatsparse/backend-native';
import { useBackend } from '../support/backend.js';
import { describeIntervalCounts } from '../support/interval-cases.js';

// Exact interval counts on the native backend's fused kernels (see test/support/interval-cases.ts),
// on small tensors (rows shorter than the kernels' 32 lanes), on ones large enough to be split across
// threads, and on rows of 32-lane blocks plus a tail.
const state = await useBackend(nativeBackend());
describeIntervalCounts('native', state.available);
describeIntervalCounts('native', state.available, [16, 50, 256]);
describeIntervalCounts('native', state.available, [4, 33, 77]);
