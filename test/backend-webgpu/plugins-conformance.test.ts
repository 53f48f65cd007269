import { webgpuBackend } from '@flatsparse/backend-webgpu';
import { registerGradients } from '@flatsparse/core';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import { describePluginConformance } from '@flatsparse/plugin-api/testing/vitest';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { pluginCases } from './plugin-cases.js';

// The core plugin suite (validation, hook order, error attribution, leaks over a run, a check of each
// contribution against its references) on WebGPU, over every built-in and method plugin. No exclusions.
// Software adapters (SwiftShader) are allowed: this is a correctness suite. One device serves every
// plugin (its compiled shaders are reused), initialised once for the file.
const backend = webgpuBackend({ allowSoftware: true });
const availability = await safeAvailability(backend);

if (!availability.available) {
  console.warn(`[skip] backend 'webgpu' is not available: ${availability.reason} Fix: ${availability.fix}`);
  describe.skipIf(!availability.available)('plugin conformance on webgpu', () => it(`skipped: ${availability.reason}`, () => undefined));
} else {
  beforeAll(async () => {
    await backend.init();
    await registerGradients();
  });
  afterAll(async () => backend.dispose());
  for (const [label, factory] of pluginCases()) describePluginConformance(label, factory);
}
