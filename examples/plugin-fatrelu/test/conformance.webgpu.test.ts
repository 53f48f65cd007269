import { webgpuBackend } from '@flatsparse/backend-webgpu';
import { registerGradients } from '@flatsparse/core';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import { describePluginConformance } from '@flatsparse/plugin-api/testing/vitest';
import { afterAll, beforeAll, describe, it } from 'vitest';
import fatrelu from '../src/index.js';

// The same plugin suite on WebGPU where an adapter exists (a GPU, or SwiftShader: this is a correctness
// suite, software adapters are allowed). Without one every check is skipped with the reason printed.
const backend = webgpuBackend({ allowSoftware: true });
const availability = await safeAvailability(backend);

if (!availability.available) {
  console.warn(`[skip] backend 'webgpu' is not available: ${availability.reason} Fix: ${availability.fix}`);
  describe.skipIf(!availability.available)('flatsparse-plugin-fatrelu conformance on webgpu', () => it(`skipped: ${availability.reason}`, () => undefined));
} else {
  beforeAll(async () => {
    await backend.init();
    await registerGradients();
  });
  afterAll(async () => backend.dispose());
  describePluginConformance('flatsparse-plugin-fatrelu (threshold 0.1) on webgpu', () => fatrelu({ threshold: 0.1 }));
}
