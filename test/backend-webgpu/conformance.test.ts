import { webgpuBackend } from '@flatsparse/backend-webgpu';
import { engineConformance } from '@flatsparse/core/testing';
import { describeBackendConformance } from '@flatsparse/plugin-api/testing/vitest';

// The backend suite on WebGPU (one test per case). No exclusions: tfjs-backend-webgpu 4.22 passes the
// two cases tfjs-backend-wasm is excused from (UnsortedSegmentSum, float32 oneHot). Software adapters
// (SwiftShader) are allowed: this is a correctness suite.
describeBackendConformance(webgpuBackend({ allowSoftware: true }), engineConformance());
