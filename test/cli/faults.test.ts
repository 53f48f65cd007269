import { main } from '@flatsparse/cli';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';

// A third-party metric (test/fixtures/plugins/local/nan-metric.mjs) that returns NaN once its
// compute has run twice (two blocks per call: the first logging step, at step 3, is finite; the
// held-out evaluation at step 5 is not), loaded by path.
const PLUGIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'plugins', 'local', 'nan-metric.mjs');
const config = (faults: string) => `
name: tiny-faults
seed: 3
model: { kind: vit, patch: 4, d: 16, depth: 2, heads: 2, mlpWidth: 32 }
activation: relu
data: { source: synthetic-image, classes: 3, imageSize: 8, trainSize: 96, heldOutSize: 48 }
plugins: [{ name: '${PLUGIN}', options: { from: 2 } }]
metrics: [activation-sparsity, nan-metric]
train: { steps: 12, batchSize: 16, lr: 0.003, logEvery: 4, evalEvery: 6, checkpointEvery: 4${faults} }
`;

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function run(faults: string): Promise<{ code: number; text: string; runDir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-faults-'));
  dirs.push(dir);
  await writeFile(join(dir, 'c.yaml'), config(faults));
  const io = recordingIo();
  const runDir = join(dir, 'run');
  const code = await main(['run', join(dir, 'c.yaml'), '--out', runDir, '--quiet'], io);
  return { code, text: io.text(), runDir };
}

describe('a faulty third-party metric in a configured run', () => {
  it('stops the run by default, naming plugin, event and step, recording failure.json and keeping the checkpoints', async () => {
    const { code, text, runDir } = await run('');
    expect(code).not.toBe(0);
    expect(text).toMatch(/E_PLUGIN_NON_FINITE.*'nan-metric'.*'metric compute' at step 5.*train\.faults\.metrics: disable/s);
    const failure = JSON.parse(await readFile(join(runDir, 'failure.json'), 'utf8'));
    expect(failure).toMatchObject({ code: 'E_PLUGIN_NON_FINITE', plugin: 'nan-metric', step: 5 });
    expect(await readdir(join(runDir, 'checkpoints'))).toContain('step-00000004');
    expect(await readFile(join(runDir, 'report.html'), 'utf8')).toContain('Run failed: E_PLUGIN_NON_FINITE');
  });

  it("with train.faults.metrics 'disable', drops the metric with a warning and completes the run", async () => {
    const { code, text, runDir } = await run(', faults: { metrics: disable }');
    expect(code, text).toBe(0);
    expect(text).toMatch(/warning: .*nan-metric.*disabled/s);
    const warnings = JSON.parse(await readFile(join(runDir, 'warnings.json'), 'utf8'));
    expect(warnings).toEqual([expect.objectContaining({ code: 'E_PLUGIN_NON_FINITE', plugin: 'nan-metric', step: 5 })]);
    const records = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const train = records.filter((r) => r.split === 'train');
    expect(train.map((r) => r.step)).toEqual([3, 7, 11]);
    expect(train[0].figures['nan-metric.value']).toBeDefined();
    expect(train[1].figures['nan-metric.value']).toBeUndefined();
    expect(train[2].figures['nan-metric.value']).toBeUndefined();
    expect(train[2].figures['activation-sparsity.value']).toBeDefined();
  });
});
