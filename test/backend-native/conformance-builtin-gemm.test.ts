import { loadAddon, nativeBackend } from '@flatsparse/backend-native';
import { engineConformance } from '@flatsparse/core/testing';
import { describeBackendConformance } from '@flatsparse/plugin-api/testing/vitest';
import { expect, it } from 'vitest';

// The whole backend suite again, with every product (matMul, the fused dense and attention kernels)
// on the built-in GEMM: what a machine without any BLAS library runs. This file's process switches
// its addon to the built-in GEMM before anything runs; conformance.test.ts covers the BLAS library.
const status = loadAddon();
if (status.ok) status.addon.useBuiltinGemm(true);

describeBackendConformance(nativeBackend(), engineConformance());

it.skipIf(!status.ok)('ran on the built-in GEMM, and the backend says so', async () => {
  const info = await nativeBackend().init();
  expect(info.detail).toMatch(/^C\+\+ kernels on the built-in GEMM/);
  expect(info.facts).toMatchObject({ gemm: 'builtin' });
});
