import { wasmBackend } from '@flatsparse/backend-wasm';
import { useBackend } from '../support/backend.js';
import { describeIntervalCounts } from '../support/interval-cases.js';

// Exact interval counts on the plain-op path (see test/support/interval-cases.ts).
const state = await useBackend(wasmBackend());
describeIntervalCounts('wasm', state.available);
