import { nativeBackend } from '@flatsparse/backend-native';
import { engineConformance } from '@flatsparse/core/testing';
import { describeBackendConformance } from '@flatsparse/plugin-api/testing/vitest';

// The whole backend suite on the native CPU backend, the models' ops included (they run its fused
// kernels here). No exclusions: it also provides the two kernels tfjs-backend-wasm 4.22 lacks or gets
// wrong (UnsortedSegmentSum, float32 OneHot). Without the addon every case skips with the reason.
describeBackendConformance(nativeBackend(), engineConformance());
