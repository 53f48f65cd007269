import { wasmBackend } from '@flatsparse/backend-wasm';
import { useBackend } from '../support/backend.js';
import { describeMetricFigures } from '../support/metric-figures-cases.js';

// computeFigures' evaluation order and shared passes on wasm's plain ops (see test/support/metric-figures-cases.ts).
describeMetricFigures('wasm', (await useBackend(wasmBackend())).available);
