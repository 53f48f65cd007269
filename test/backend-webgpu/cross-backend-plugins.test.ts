import { wasmBackend } from '@flatsparse/backend-wasm';
import { webgpuBackend, webgpuStatus } from '@flatsparse/backend-webgpu';
import { registerGradients } from '@flatsparse/core';
import { countTensors } from '@flatsparse/plugin-api';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import { compareArrays, type Tolerance } from '@flatsparse/plugin-api/testing';
import { builtinPlugins } from '@flatsparse/plugins';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pluginCases } from './plugin-cases.js';
import { pluginFigures, snapshotCaptures } from './plugin-figures.js';

/**
 * Tolerance of WebGPU figures against the wasm reference on the same inputs, norm-wise per figure
 * (|webgpu - wasm| <= atol + rtol * max|wasm|): float32 on both sides, differing only in the order of
 * reductions and in the transcendental functions (erf, exp, tanh); on SwiftShader the largest difference seen is 2.4e-7.
 */
const TOL: Tolerance = { atol: 1e-6, rtol: 1e-5 };

const webgpu = webgpuBackend({ allowSoftware: true });
const wasm = wasmBackend();
const availability = await safeAvailability(webgpu);
if (!availability.available) console.warn(`[skip] backend 'webgpu' is not available: ${availability.reason} Fix: ${availability.fix}`);

describe.skipIf(!availability.available)('every plugin gives the same figures on webgpu as on wasm, on the same captures', () => {
  // Estimators are compared in cross-backend-estimators.test.ts, on a model and a loss (finite-difference
  // Hessian-vector products amplify float32 rounding, so they get tolerances of their own).
  const cases = pluginCases().filter(([label]) => builtinPlugins.get(label)?.kind !== 'estimator');
  const reference = new Map<string, Map<string, number[]>>();
  const onWebgpu = new Map<string, Map<string, number[]>>();
  let leaked = 0;
  let gpuBytesAfter = -1;

  beforeAll(async () => {
    await wasm.init();
    await registerGradients();
    const captures = await snapshotCaptures(cases.map(([, factory]) => factory()));
    for (const [label, factory] of cases) reference.set(label, await pluginFigures(factory, captures));
    const before = countTensors();
    await webgpu.init();
    for (const [label, factory] of cases) onWebgpu.set(label, await pluginFigures(factory, captures));
    gpuBytesAfter = webgpuStatus().numBytesInGPU;
    await webgpu.dispose();
    leaked = countTensors() - before;
  }, 240_000);
  afterAll(async () => wasm.dispose());

  it('leaves no tensor and no GPU buffer in use behind', () => {
    expect(leaked).toBe(0);
    expect(gpuBytesAfter).toBe(0);
  });

  for (const [label] of cases) {
    it(label, () => {
      const ref = reference.get(label)!;
      const got = onWebgpu.get(label)!;
      expect([...got.keys()]).toEqual([...ref.keys()]);
      expect(ref.size).toBeGreaterThan(0);
      const failures: string[] = [];
      for (const [figure, expected] of ref) {
        const c = compareArrays(got.get(figure)!, expected, TOL);
        if (!c.passed) failures.push(`${figure}: max |webgpu - wasm| ${c.maxAbsError.toExponential(2)} > ${c.tolerance.toExponential(2)} (at index ${c.worstIndex})`);
      }
      expect(failures).toEqual([]);
    });
  }
});
