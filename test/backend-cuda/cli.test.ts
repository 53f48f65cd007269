import { wasmBackend } from '@flatsparse/backend-wasm';
import { cudaBackend, tensorflowCpuBackend } from '@flatsparse/backend-cuda';
import { defaultBackends, main } from '@flatsparse/cli';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctorCommand } from '../../packages/cli/src/commands/doctor.js';
import { recordingIo } from '../cli/recording-io.js';
import { fakeTfjsNode, LOG_GPU, LOG_MISSING_CUDNN } from './fake-tfjs-node.js';

function installedHere(name: string): boolean {
  try {
    createRequire(join(process.cwd(), 'x.js')).resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}
const gpuPackageHere = installedHere('@tensorflow/tfjs-node-gpu');

const config = {
  name: 'tiny-cuda',
  model: { kind: 'vit', patch: 4, d: 8, depth: 1, heads: 2, mlpWidth: 16 },
  data: { source: 'synthetic-image', classes: 3, imageSize: 8, trainSize: 32, heldOutSize: 16 },
  train: { steps: 2, batchSize: 8 },
};

describe('flatsparse run --backend cuda without tfjs-node-gpu', () => {
  it.skipIf(gpuPackageHere)('fails before any work with the reason, the install command, the versions, the mirrors and WebGPU', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-cuda-run-'));
    await writeFile(join(dir, 'c.json'), JSON.stringify(config));
    const io = recordingIo();
    expect(await main(['run', join(dir, 'c.json'), '--backend', 'cuda', '--out', join(dir, 'run'), '--quiet'], io)).toBe(2);
    const text = io.text();
    expect(text).toMatch(/E_BACKEND_UNAVAILABLE.*Backend 'cuda' is not available: @tensorflow\/tfjs-node-gpu is not installed/);
    expect(text).toContain('pnpm add @tensorflow/tfjs-node-gpu@4.22.0');
    expect(text).toMatch(/CUDA 11\.2 and cuDNN 8\.1/);
    expect(text).toMatch(/TFJS_NODE_CDN_STORAGE.*TFJS_NODE_BASE_URI/);
    expect(text).toMatch(/--backend webgpu/);
    expect(text).toMatch(/available here: .*wasm/);
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });
});

describe('flatsparse doctor', () => {
  it.skipIf(gpuPackageHere)('lists every default backend, with the fixes and the CUDA guide', async () => {
    const io = recordingIo();
    expect(await doctorCommand(io)).toBe(0);
    const out = io.out_.join('\n');
    const table = out.split('\n').filter((l) => /^(cuda|webgpu|native|tensorflow-cpu|wasm)\s/.test(l));
    expect(table.map((l) => l.split(/\s+/)[0])).toEqual(defaultBackends().map((b) => b.name));
    const native = await defaultBackends().find((b) => b.name === 'native')!.isAvailable();
    expect(table.find((l) => l.startsWith('wasm'))).toMatch(/^wasm\s+wasm\s+10\s+yes\s/);
    expect(table.find((l) => l.startsWith('cuda'))).toMatch(/^cuda\s+tensorflow\s+40\s+no\s+@tensorflow\/tfjs-node-gpu is not installed/);
    expect(table.find((l) => l.startsWith('tensorflow-cpu'))).toMatch(/no\s+@tensorflow\/tfjs-node is not installed/);
    // The native CPU backend ranks above wasm: 'auto' takes it where its addon built.
    expect(out).toContain(`'auto' selects: ${native.available ? 'native' : 'wasm'}`);
    const fixes = out.slice(out.indexOf('How to fix:'));
    expect(fixes).toMatch(/- cuda: @tensorflow\/tfjs-node-gpu is not installed.*\n {2}fix: pnpm add @tensorflow\/tfjs-node-gpu@4\.22\.0/);
    expect(fixes).toMatch(/- tensorflow-cpu: .*\n {2}fix: pnpm add @tensorflow\/tfjs-node@4\.22\.0/);
    expect(fixes).not.toMatch(/- wasm:/);
    const guide = out.slice(out.indexOf('install guide:'));
    for (const needle of [/CUDA 11\.2 and cuDNN 8\.1/, /libcudart\.so\.11\.0/, /libcudnn\.so\.8/, /TFJS_NODE_CDN_STORAGE/, /TFJS_NODE_BASE_URI/, /flatsparse doctor/, /silently computes on the CPU/, /WebGPU backend over Vulkan/]) {
      expect(guide).toMatch(needle);
    }
  });

  it('shows a binding that fails to load, with the loader message in the fix section', async () => {
    const fake = await fakeTfjsNode({ kind: 'throws', message: 'libcudart.so.11.0: cannot open shared object file: No such file or directory' });
    const io = recordingIo();
    expect(await doctorCommand(io, [cudaBackend({ resolveFrom: fake.root }), wasmBackend()])).toBe(0);
    const out = io.out_.join('\n');
    expect(out).toMatch(/^cuda\s+tensorflow\s+40\s+no\s+@tensorflow\/tfjs-node-gpu 4\.22\.0 is installed, but its native binding failed to load/m);
    expect(out).toMatch(/- cuda: .*libcudart\.so\.11\.0: cannot open shared object file.*It needs libcudart\.so\.11\.0 \(from the CUDA 11\.2 toolkit\)/);
    expect(out).toMatch(/fix: install the CUDA 11\.2 runtime and cuDNN 8\.1/);
    expect(out).toContain('install guide:');
  });

  it('shows the silent CPU fallback as not available, and as a fallback when allowed', async () => {
    const fake = await fakeTfjsNode({ kind: 'works', gpu: false, gpuPackage: true, log: LOG_MISSING_CUDNN });
    const refused = recordingIo();
    await doctorCommand(refused, [cudaBackend({ resolveFrom: fake.root }), wasmBackend()]);
    expect(refused.out_.join('\n')).toMatch(/^cuda\s+tensorflow\s+40\s+no\s+@tensorflow\/tfjs-node-gpu 4\.22\.0 loads, but TensorFlow sees no GPU device/m);
    expect(refused.out_.join('\n')).toMatch(/fix: .*FLATSPARSE_CUDA_ALLOW_CPU_FALLBACK=1/);
    const allowed = recordingIo();
    await doctorCommand(allowed, [cudaBackend({ resolveFrom: fake.root, allowCpuFallback: true }), wasmBackend()]);
    const out = allowed.out_.join('\n');
    expect(out).toMatch(/^cuda\s+tensorflow\s+40\s+yes\s+CPU FALLBACK \(allowCpuFallback\)/m);
    expect(out).toContain("'auto' selects: cuda");
    expect(out).toContain('install guide:');
  });

  it('shows cuda ready on the named GPU, and then no install guide', async () => {
    const gpu = await fakeTfjsNode({ kind: 'works', gpu: true, gpuPackage: true, log: LOG_GPU });
    const io = recordingIo();
    expect(await doctorCommand(io, [cudaBackend({ resolveFrom: gpu.root }), wasmBackend()])).toBe(0);
    const out = io.out_.join('\n');
    expect(out).toMatch(/^cuda\s+tensorflow\s+40\s+yes\s+ready on GPU NVIDIA H100 80GB HBM3 \(GPU:0, compute capability 9\.0, 79078 MB\); @tensorflow\/tfjs-node-gpu 4\.22\.0, libtensorflow 2\.9\.1\.$/m);
    expect(out).not.toContain('How to fix:');
    expect(out).not.toContain('install guide:');
  });

  it('exits 1 when no backend is available', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'fs-doctor-empty-'));
    const io = recordingIo();
    expect(await doctorCommand(io, [cudaBackend({ resolveFrom: empty }), tensorflowCpuBackend({ resolveFrom: empty })])).toBe(1);
    expect(io.out_.join('\n')).toContain("'auto' selects: nothing (no backend is available)");
  });
});

describe('defaultBackends', () => {
  it('lets cuda fall back to the CPU only when asked, by option or by FLATSPARSE_CUDA_ALLOW_CPU_FALLBACK=1', async () => {
    const fake = await fakeTfjsNode({ kind: 'works', gpu: false, gpuPackage: true, log: LOG_MISSING_CUDNN });
    const cwd = process.cwd();
    process.chdir(fake.root);
    try {
      const cuda = (list: ReturnType<typeof defaultBackends>) => list.find((b) => b.name === 'cuda')!;
      expect((await cuda(defaultBackends({}, {})).isAvailable()).available).toBe(false);
      expect((await cuda(defaultBackends({}, { FLATSPARSE_CUDA_ALLOW_CPU_FALLBACK: '1' })).isAvailable()).available).toBe(true);
      expect((await cuda(defaultBackends({ allowCpuFallback: true }, {})).isAvailable()).available).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });
});
