import { main } from '@flatsparse/cli';
import { LEGACY_NAMES } from '@flatsparse/core';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';

const yaml = `
name: tiny-synthetic
seed: 3
model: { kind: vit, patch: 4, d: 16, depth: 2, heads: 2, mlpWidth: 32 }
activation: relu
data: { source: synthetic-image, classes: 3, imageSize: 8, trainSize: 96, heldOutSize: 48 }
train: { steps: 12, batchSize: 16, lr: 0.003, logEvery: 4, evalEvery: 6, checkpointEvery: 6 }
`;

describe('flatsparse run and eval', () => {
  it('trains from a YAML config, writes the run directory, and eval reproduces the final held-out figures', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-run-'));
    await writeFile(join(dir, 'c.yaml'), yaml);
    const runDir = join(dir, 'run');
    const io = recordingIo();
    expect(await main(['run', join(dir, 'c.yaml'), '--out', runDir, '--quiet'], io)).toBe(0);
    expect(io.text()).toMatch(/tiny-synthetic .*%/);

    const files = await readdir(runDir);
    expect(files.sort().map((n) => n.replace(/^events\.out\.tfevents\..+$/, 'events.out.tfevents'))).toEqual(['checkpoints', 'config.json', 'events.out.tfevents', 'metrics.csv', 'metrics.jsonl', 'model.safetensors', 'report.html', 'run.json']);
    expect((await readdir(join(runDir, 'checkpoints'))).sort()).toEqual(['latest', 'step-00000006', 'step-00000012']);
    const records = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const train = records.filter((r) => r.split === 'train');
    const held = records.filter((r) => r.split === 'heldOut');
    expect(train.map((r) => r.step)).toEqual([3, 7, 11]);
    expect(held.length).toBe(2);
    for (const name of ['activation-sparsity.value', 'derivative-sparsity.value', 'augmented-flatness.asK', 'augmented-flatness.identityError']) expect(train[0].figures[name].perLayer).toHaveLength(2);
    expect(held[0].figures['augmented-flatness.asK']).toBeUndefined();
    const config = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8'));
    expect(config.metrics).toEqual(['activation-sparsity', 'derivative-sparsity', 'dead-neurons', 'augmented-flatness']);
    const csv = (await readFile(join(runDir, 'metrics.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(records.length + 1);
    const html = await readFile(join(runDir, 'report.html'), 'utf8');
    for (const title of ['loss', 'activation-sparsity.value', 'augmented-flatness.asK', 'augmented-flatness.c0', 'augmented-flatness.ratio']) expect(html).toContain(`<figure class="fs-chart" data-title="${title}"><script type="application/json"`);

    const evalIo = recordingIo();
    expect(await main(['eval', runDir], evalIo)).toBe(0);
    const last = held[held.length - 1];
    const out = evalIo.text();
    expect(out).toContain(`loss ${last.loss.toFixed(4)}`);
    expect(out).toContain(`accuracy ${(last.accuracy * 100).toFixed(2)}%`);
    const row = out.split('\n').find((l) => l.startsWith('activation-sparsity.value'))!;
    expect(Number(row.split(/\s+/)[1])).toBeCloseTo(last.figures['activation-sparsity.value'].mean, 4);
  });

  it('resumes from the run directory and ends where an uninterrupted run ends', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-resume-'));
    await writeFile(join(dir, 'c.yaml'), yaml);
    const io = recordingIo();
    expect(await main(['run', join(dir, 'c.yaml'), '--out', join(dir, 'full'), '--quiet'], io)).toBe(0);
    expect(await main(['run', join(dir, 'c.yaml'), '--out', join(dir, 'part'), '--steps', '6', '--quiet'], io)).toBe(0);
    expect(await main(['run', join(dir, 'c.yaml'), '--out', join(dir, 'part'), '--resume', join(dir, 'part'), '--quiet'], io)).toBe(0);
    const read = async (d: string) => Buffer.from(await readFile(join(dir, d, 'model.safetensors')));
    expect((await read('part')).equals(await read('full'))).toBe(true);
    // The history of the resumed directory holds every record of the uninterrupted run, with equal
    // losses (plus the final record the 6-step run logged when it stopped).
    const losses = async (d: string) => new Map((await readFile(join(dir, d, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).map((r) => [`${r.split}@${r.step}`, r.loss]));
    const part = await losses('part');
    for (const [key, loss] of await losses('full')) expect(part.get(key), key).toBe(loss);
    expect([...part.keys()]).toEqual(['train@3', 'train@5', 'heldOut@5', 'train@7', 'train@11', 'heldOut@11']);
  });

  it('resumes and evaluates a run directory of flatsparse 0.2, whose figures, loss terms and config use the old camelCase names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-legacy-'));
    const legacyYaml = `${yaml}plugins: [{ name: zeroth-bias, options: { c: 0.1 } }, { name: l1-activation, options: { weight: 0.001 } }]\nmetrics: [activation-sparsity, zeroth-bias]\n`;
    await writeFile(join(dir, 'c.yaml'), legacyYaml);
    const runDir = join(dir, 'run');
    const io = recordingIo();
    expect(await main(['run', join(dir, 'c.yaml'), '--out', runDir, '--steps', '6', '--quiet'], io)).toBe(0);
    // Turn the directory into what 0.2 wrote: camelCase contribution names everywhere.
    const old = new Map([...LEGACY_NAMES].map(([was, now]) => [now, was]));
    const toOld = (key: string) => old.get(key.split('.')[0]!) + key.slice(key.split('.')[0]!.length);
    const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const legacy = lines.map((r) => ({ ...r, figures: Object.fromEntries(Object.entries(r.figures).map(([k, v]) => [toOld(k), v])), ...(r.lossTerms ? { lossTerms: Object.fromEntries(Object.entries(r.lossTerms).map(([k, v]) => [toOld(k), v])) } : {}) }));
    expect(Object.keys(legacy[0].figures)).toContain('activationSparsity.value');
    expect(Object.keys(legacy[0].lossTerms)).toEqual(['l1Activation']);
    await writeFile(join(runDir, 'metrics.jsonl'), legacy.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const config = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8'));
    await writeFile(join(runDir, 'config.json'), JSON.stringify({ ...config, metrics: ['activation-sparsity', 'zerothBias'], regularizers: [] }));

    const evalIo = recordingIo();
    expect(await main(['eval', runDir], evalIo)).toBe(0);
    expect(evalIo.text()).toMatch(/^zeroth-bias\.meanAbs\s/m);
    expect(await main(['run', join(dir, 'c.yaml'), '--out', runDir, '--resume', runDir, '--quiet'], io)).toBe(0);
    const resumed = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(resumed.map((r) => `${r.split}@${r.step}`)).toEqual(['train@3', 'train@5', 'heldOut@5', 'train@7', 'train@11', 'heldOut@11']);
    for (const r of resumed) {
      for (const key of [...Object.keys(r.figures), ...Object.keys(r.lossTerms ?? {})]) expect(key, `${r.split}@${r.step}`).not.toMatch(/[A-Z].*\.|^[a-z]+[A-Z]/);
      expect(Object.keys(r.figures), `${r.split}@${r.step}`).toContain('activation-sparsity.value');
    }
    // The records written before the resume keep their values under the new names.
    expect(resumed[0].figures['zeroth-bias.atBound']).toEqual(lines[0].figures['zeroth-bias.atBound']);
    expect(resumed[0].lossTerms).toEqual(lines[0].lossTerms);
  });

  it('eval without weights says where to find them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-noweights-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model: { kind: 'vit', patch: 4, d: 8, depth: 1, heads: 2, mlpWidth: 8 }, data: { source: 'synthetic-image' }, train: { steps: 1 } }));
    const io = recordingIo();
    expect(await main(['eval', dir], io)).toBe(2);
    expect(io.text()).toMatch(/no weights at .*model\.safetensors.*--weights/);
  });
});
