import { main } from '@flatsparse/cli';
import { mkdir, mkdtemp as makeTemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'plugin-fatrelu');
const CONFIG = join(ROOT, 'configs', 'vit-mnist-fatrelu.yaml');

const temporary: string[] = [];
/** A temporary directory, removed after the file's tests. */
async function mkdtemp(prefix: string): Promise<string> {
  const dir = await makeTemp(prefix);
  temporary.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true })));
});

type Figures = Record<string, { mean: number; perLayer: number[] }>;
interface RunRecord {
  split: string;
  figures: Figures;
}

/** Trains 3 steps from a config and returns the run directory's config.json, run.json and records. */
async function run(config: string, out: string) {
  const io = recordingIo();
  expect(await main(['run', config, '--steps', '3', '--out', out, '--quiet'], io), io.text()).toBe(0);
  const read = async (file: string) => readFile(join(out, file), 'utf8');
  return {
    config: JSON.parse(await read('config.json')),
    run: JSON.parse(await read('run.json')),
    records: (await read('metrics.jsonl')).trim().split('\n').map((l) => JSON.parse(l) as RunRecord),
  };
}

/**
 * A project of a user of the published package: a config directory next to a node_modules that holds
 * flatsparse-plugin-fatrelu (linked to the example, as a package manager installs it), with the
 * shipped config's threshold replaced.
 */
async function project(threshold: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-fatrelu-'));
  await mkdir(join(dir, 'configs'));
  await mkdir(join(dir, 'node_modules'));
  await symlink(EXAMPLE, join(dir, 'node_modules', 'flatsparse-plugin-fatrelu'));
  const text = (await readFile(CONFIG, 'utf8')).replace('threshold: 0.1', `threshold: ${threshold}`);
  expect(text).toContain(`threshold: ${threshold} }`);
  await writeFile(join(dir, 'configs', 'c.yaml'), text);
  return join(dir, 'configs', 'c.yaml');
}

describe('the example plugin flatsparse-plugin-fatrelu, loaded by package name', () => {
  // Loaded like any installed package, through its package.json exports; the test workers run with
  // --conditions=@flatsparse/source (vitest.config.ts), which the loader honours as Node does, so the
  // example's TypeScript sources are used and no build is needed (test/cli/new-plugin.test.ts builds
  // and loads generated packages from their dist).
  it('configs/vit-mnist-fatrelu.yaml trains with FATReLU, and the sparsity figures follow its threshold', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'fs-fatrelu-run-'));
    const shipped = await run(CONFIG, join(tmp, 'shipped'));
    expect(shipped.config.plugins).toEqual([{ name: 'flatsparse-plugin-fatrelu', options: { threshold: 0.1 } }]);
    expect(shipped.config.activation).toBe('fatrelu');
    expect(shipped.run.activation).toBe('fatrelu');
    expect(shipped.records.map((r) => r.split).sort()).toEqual(['heldOut', 'train']);

    // FATReLU's outputs are 0 below the threshold and at least the threshold above it, so activation
    // sparsity (|a| <= 1e-6) and derivative sparsity (p in the flat region (-inf, 0.1)) count the
    // same entries, layer by layer, on training batches and on held-out data.
    for (const { figures } of shipped.records) {
      const act = figures['activation-sparsity.value']!.perLayer;
      const der = figures['derivative-sparsity.value']!.perLayer;
      expect(act).toHaveLength(4);
      act.forEach((a, i) => expect(Math.abs(a - der[i]!)).toBeLessThan(1e-6));
    }

    // The same run with threshold 0 (ReLU but at 0): after 3 tiny warm-up steps the pre-activations
    // are nearly those of the initial model, so raising the threshold to 0.1 must raise derivative
    // sparsity in every layer: the option reached the activation that trained.
    const relu = await run(await project('0'), join(tmp, 'threshold-0'));
    expect(relu.config.plugins).toEqual([{ name: 'flatsparse-plugin-fatrelu', options: { threshold: 0 } }]);
    const train = (r: { records: RunRecord[] }) => r.records.find((x) => x.split === 'train')!.figures['derivative-sparsity.value']!;
    const [low, high] = [train(relu), train(shipped)];
    expect(low.mean).toBeGreaterThan(0.3);
    expect(low.mean).toBeLessThan(0.7);
    high.perLayer.forEach((s, i) => expect(s, `layer ${i}`).toBeGreaterThan(low.perLayer[i]! + 0.05));
  });

  it('options the published schema rejects stop the run before training, naming the option', async () => {
    const io = recordingIo();
    const out = join(await mkdtemp(join(tmpdir(), 'fs-fatrelu-bad-')), 'run');
    expect(await main(['run', await project('-1'), '--steps', '3', '--out', out, '--quiet'], io)).toBe(2);
    expect(io.text()).toMatch(/E_PLUGIN_OPTIONS.*flatsparse-plugin-fatrelu.*plugins\.0\.options\.threshold/);
  });
});
