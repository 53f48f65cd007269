import { nativeBackend } from '@flatsparse/backend-native';
import { useBackend } from '../support/backend.js';
import { describeMetricFigures } from '../support/metric-figures-cases.js';

// computeFigures' evaluation order and shared passes on the native fused kernels (see test/support/metric-figures-cases.ts).
describeMetricFigures('native', (await useBackend(nativeBackend())).available);
