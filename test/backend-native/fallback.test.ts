import { loadAddon, nativeBackend, resetAddonStatus } from '@flatsparse/backend-native';
import { main } from '@flatsparse/cli';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingIo } from '../cli/recording-io.js';

// The fast path absent: the install still succeeds (the build script exits 0 and records why), the
// backend reports the reason and the fix, 'auto' selects wasm, and a run works and says why the fast
// path is not in use. Runs whether or not the addon is built here (the absence is simulated).
const BUILD_SCRIPT = fileURLToPath(new URL('../../packages/backend-native/scripts/build-native.mjs', import.meta.url));

const tinyRun = `
name: tiny-fallback
seed: 1
model: { kind: vit, patch: 4, d: 16, depth: 1, heads: 2, mlpWidth: 32 }
activation: relu
data: { source: synthetic-image, classes: 3, imageSize: 8, trainSize: 48, heldOutSize: 16 }
train: { steps: 4, batchSize: 16, lr: 0.003, logEvery: 2 }
`;

function useAddonAt(path: string | undefined): void {
  if (path === undefined) delete process.env['FLATSPARSE_NATIVE_ADDON'];
  else process.env['FLATSPARSE_NATIVE_ADDON'] = path;
  resetAddonStatus();
}

afterEach(() => useAddonAt(undefined));

describe('the native backend without its addon', () => {
  it('the install script succeeds without a compiler, and records the reason and the fix', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-native-build-'));
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await symlink(process.execPath, join(bin, 'node'));
    const build = join(dir, 'build');
    const r = spawnSync(process.execPath, [BUILD_SCRIPT], { encoding: 'utf8', env: { PATH: bin, FLATSPARSE_NATIVE_BUILD_DIR: build, CXX: '' } });
    expect(r.status).toBe(0);
    // One line: why, the fix, and what runs meanwhile.
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^flatsparse native backend: not built: no C\+\+ compiler was found .* Fix: apt-get install -y g\+\+, then pnpm --filter @flatsparse\/backend-native run build:native\. Until then flatsparse runs on the wasm backend\.\n$/);
    const status = JSON.parse(await readFile(join(build, 'status.json'), 'utf8'));
    expect(status).toMatchObject({ ok: false, fix: 'apt-get install -y g++, then pnpm --filter @flatsparse/backend-native run build:native' });

    // The backend reads that record: unavailable, with the build's reason and fix.
    useAddonAt(join(build, 'flatsparse_native.node'));
    const status2 = loadAddon();
    expect(status2.ok).toBe(false);
    const availability = await nativeBackend().isAvailable();
    expect(availability).toMatchObject({ available: false });
    if (!availability.available) {
      expect(availability.reason).toMatch(/not built: no C\+\+ compiler was found/);
      expect(availability.fix).toBe('apt-get install -y g++, then pnpm --filter @flatsparse/backend-native run build:native');
    }
  });

  it('a FLATSPARSE_NATIVE_REQUIRED build fails loudly instead', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-native-build-'));
    const r = spawnSync(process.execPath, [BUILD_SCRIPT], { encoding: 'utf8', env: { PATH: dir, FLATSPARSE_NATIVE_BUILD_DIR: join(dir, 'build'), CXX: '', FLATSPARSE_NATIVE_REQUIRED: '1' } });
    expect(r.status).toBe(1);
  });

  it('an addon that will not load (a corrupt file) is reported with its load error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-native-addon-'));
    const path = join(dir, 'flatsparse_native.node');
    await writeFile(path, 'not a shared object');
    useAddonAt(path);
    const a = await nativeBackend().isAvailable();
    expect(a.available).toBe(false);
    if (!a.available) {
      expect(a.reason).toMatch(/the addon failed to load: .*(invalid ELF|too short|file)/i);
      expect(a.fix).toMatch(/build:native/);
    }
  });

  it("'flatsparse backends' and 'doctor' say why it is off and how to fix it; 'auto' selects wasm", async () => {
    useAddonAt('/nonexistent/flatsparse_native.node');
    const io = recordingIo();
    expect(await main(['backends'], io)).toBe(0);
    expect(io.text()).toMatch(/native +flatsparse-native +25 +no +the native CPU kernels cannot load: the addon is missing/);
    expect(io.text()).toMatch(/'auto' selects: wasm/);
    const doctor = recordingIo();
    await main(['doctor'], doctor);
    expect(doctor.text()).toMatch(/- native: the native CPU kernels cannot load: .*\n +fix: apt-get install -y g\+\+, then pnpm --filter @flatsparse\/backend-native run build:native/);
  });

  it('a run on the default backend works on wasm and prints why the fast path is not in use', async () => {
    useAddonAt('/nonexistent/flatsparse_native.node');
    const dir = await mkdtemp(join(tmpdir(), 'fs-native-fallback-'));
    await writeFile(join(dir, 'c.yaml'), tinyRun);
    const io = recordingIo();
    expect(await main(['run', join(dir, 'c.yaml'), '--out', join(dir, 'run')], io)).toBe(0);
    // The note's wording is the CLI's: the reason with the fix, or its first sentence with a pointer to 'flatsparse doctor'.
    expect(io.text()).toMatch(/note: backend 'native' (skipped: the native CPU kernels cannot load: the addon is missing .* fix: apt-get install -y g\+\+, then pnpm|unavailable: the native CPU kernels cannot load: the addon is missing)/i);
    const run = JSON.parse(await readFile(join(dir, 'run', 'run.json'), 'utf8'));
    expect(run.backend).toMatch(/^wasm/);
  });
});
