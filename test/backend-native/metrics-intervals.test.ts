import { nativeBackend } from '@flatsparse/backend-native';
import { useBackend } from '../support/backend.js';
import { describeIntervalCounts } from '../support/interval-cases.js';

// Exact interval counts on the native backend's fused kernels (see test/support/interval-cases.ts),
// on small tensors and on ones large enough to be split across threads.
const state = await useBackend(nativeBackend());
describeIntervalCounts('native', state.available);
describeIntervalCounts('native', state.available, [16, 50, 256]);
