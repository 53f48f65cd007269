import { nativeBackend } from '@flatsparse/backend-native';
import { main } from '@flatsparse/cli';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';
import { cleanup, configFile, runJson, tempDir, tinyConfig } from './run-dir-fixtures.js';

const nativeAvailable = (await nativeBackend().isAvailable()).available;
if (!nativeAvailable) console.warn('[skip] run-checks: the native backend is unavailable here (its addon did not build), so its memory limit is not checked.');

const made: string[] = [];
let dir: string;
beforeAll(async () => {
  dir = await tempDir('fs-checks-', made);
});
afterAll(() => cleanup(made));

/** Runs a config through the CLI into `<dir>/<name>`. */
async function run(name: string, config: string): Promise<{ code: number; text: string; runDir: string }> {
  const io = recordingIo();
  const runDir = join(dir, name);
  const code = await main(['run', await configFile(dir, `${name}.yaml`, config), '--out', runDir, '--quiet'], io);
  return { code, text: io.text(), runDir };
}

describe('sizes and numbers are checked before work starts', () => {
  it('a model too large for a typed array (d: 100000) is refused with its size and the limit, before anything is written', async () => {
    const { code, text, runDir } = await run('huge', tinyConfig({ d: 100000 }).replace('heads: 2', 'heads: 4'));
    expect(code).toBe(2);
    expect(text).toMatch(/\[E_MODEL_CONFIG\] .*parameter 'blocks\.0\.attn\.qkv\.weight' would have 3\.00e\+10 elements, more than the 4\.29e\+9 a typed array holds .*about \d+\.\d GiB to train/);
    expect(text).toMatch(/Fix: shrink the model \(model\.d 100000/);
    expect(existsSync(runDir)).toBe(false);
  });

  it('a model whose parameters, moments and activations exceed the memory is refused with the estimate and the limit', async () => {
    const { code, text, runDir } = await run('big', tinyConfig({ d: 4096 }).replace('depth: 1', 'depth: 8').replace('heads: 2', 'heads: 8').replace('name: tiny', 'name: big\nbackend: wasm'));
    expect(code).toBe(2);
    expect(text).toMatch(/\[E_MODEL_CONFIG\] .*training needs about \d+\.\d GiB \(\d+\.\d GiB for 5\.38e\+8 parameters with their gradients and AdamW moments, .* for the activations of a batch of 8\), more than (4\.0 GiB, the 4 GiB a WebAssembly backend can address|[\d.]+ GiB, this machine's memory)/);
    expect(existsSync(runDir)).toBe(false);
  });

  it.skipIf(!nativeAvailable)('native is refused at its own limit: its tensors live on the 4 GiB WebAssembly heap, whatever the machine has', async () => {
    // About 5.5 GiB: under this machine's memory, over the heap native trains on.
    const { code, text, runDir } = await run('big-native', tinyConfig({ d: 2048 }).replace('depth: 1', 'depth: 7').replace('heads: 2', 'heads: 8').replace('mlpWidth: 8', 'mlpWidth: 8192').replace('name: tiny', 'name: big\nbackend: native'));
    expect(code, text).toBe(2);
    expect(text).toMatch(/\[E_MODEL_CONFIG\] .*training needs about [5-9]\.\d GiB .*more than 4\.0 GiB, the 4 GiB a WebAssembly backend can address \('native'\)/);
    expect(existsSync(runDir)).toBe(false);
  });

  it('lr x weightDecay >= 1 fails: decoupled decay would flip the weights every step', async () => {
    const { code, text, runDir } = await run('decay', tinyConfig({ train: ', optimizer: { weightDecay: 10 }' }).replace('lr: 0.01', 'lr: 0.5'));
    expect(code).toBe(2);
    expect(text).toMatch(/Invalid config at 'train\.optimizer\.weightDecay': the learning rate \(peak 0\.5\) times weightDecay 10 is 5: .*\(1 - lr x weightDecay\) = -4 every step/);
    expect(text).toMatch(/Fix: lower the weight decay below 2/);
    expect(existsSync(runDir)).toBe(false);
  });

  it('a batch larger than the training split warns (warnings.json, the report) and trains', async () => {
    const { code, text, runDir } = await run('batch', tinyConfig({ batchSize: 48, steps: 4 }));
    expect(code, text).toBe(0);
    expect(text).toMatch(/warning: train\.batchSize 48 is larger than the training split of 'synthetic-image' \(32 examples\): every batch repeats examples/);
    expect(JSON.parse(await readFile(join(runDir, 'warnings.json'), 'utf8'))).toEqual([expect.objectContaining({ code: 'W_BATCH_EXCEEDS_SPLIT' })]);
    expect(await readFile(join(runDir, 'report.html'), 'utf8')).toContain('W_BATCH_EXCEEDS_SPLIT');
  });

  it('a run whose loss grows by orders of magnitude while finite is flagged in run.json and the report', async () => {
    const { code, text, runDir } = await run('diverging', tinyConfig({ steps: 8, train: ', optimizer: { weightDecay: 0 }' }).replace('lr: 0.01', 'lr: 20'));
    expect(code, text).toBe(0);
    expect(text).toMatch(/warning: the train loss grew .*-fold while staying finite/);
    const flag = (await runJson(runDir)).lossGrowth as { factor: number; step: number };
    expect(flag.factor).toBeGreaterThanOrEqual(100);
    const report = await readFile(join(runDir, 'report.html'), 'utf8');
    expect(report).toContain('W_LOSS_GROWTH');
    expect(report).toContain('loss growth');
    const calm = await run('calm', tinyConfig({ steps: 8 }));
    expect((await runJson(calm.runDir)).lossGrowth).toBeUndefined();
  });
});

describe('errors list what is accepted instead of "Invalid input"', () => {
  it.each([
    ['a number written as a string', (c: string) => c.replace('lr: 0.01', 'lr: "0.003"'), /'train\.lr': "0\.003" matches none of the accepted forms\. Received: "0\.003"\. Expected: a number >= 0, or a schedule \{ kind: 'constant' \| 'linearWarmup' \| 'cosine' \| 'inverseSqrt'.*Fix: write the number without quotes: 0\.003\./],
    ['an unknown data source', (c: string) => c.replace('source: synthetic-image', 'source: synthetic-imag'), /'data\.source': unknown source "synthetic-imag"\. .*Expected: one of 'mnist', 'moby-dick', 'synthetic-image', 'synthetic-text', 'npy', 'text-files', 'image-folder', 'token-file', 'text'\. Fix: did you mean 'synthetic-image'\?/],
    ['an enum value', (c: string) => c.replace('checkpointEvery: 3', "checkpointEvery: 3, faults: { metrics: 'skip' }"), /'train\.faults\.metrics': "skip" is not a valid value\. .*Expected: one of 'stop', 'disable'/],
    ['a wrong type', (c: string) => c.replace('steps: 12', 'steps: [12]'), /'train\.steps': expected a whole number > 0, received a list/],
    ['a model size written as a string', (c: string) => c.replace('d: 8,', 'd: "8",'), /vit config key 'd': expected a whole number > 0, received a string\. .*Expected: a whole number > 0\. Fix: write the number without quotes: 8\./],
    ['an unknown model init', (c: string) => c.replace('d: 8,', 'd: 8, init: glorot,'), /vit config key 'init': "glorot" is not a valid value\. .*Expected: one of 'xavier', 'pytorch', 'normal'/],
    ['an unknown model key', (c: string) => c.replace('d: 8,', 'd: 8, width: 3,'), /vit config key 'width': unknown key\. .*Expected: one of 'imageSize', .*'mlpWidth'/],
  ])('%s', async (_what, edit, pattern) => {
    const { code, text } = await run('bad', edit(tinyConfig()));
    expect(code).toBe(2);
    expect(text).toMatch(pattern);
    expect(text).not.toMatch(/Invalid input/);
  });
});
