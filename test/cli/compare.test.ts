import { main } from '@flatsparse/cli';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';

// `flatsparse compare` on run directories written here by hand (what a run writes: config.json and
// metrics.jsonl), so each value on the page is known. The same page drawn in a browser from real runs:
// test/browser/charts.test.ts.

interface Spec {
  x: number[];
  series: { label: string; color: string; dashed?: boolean; y: (number | null)[]; low?: (number | null)[]; high?: (number | null)[] }[];
}

const figure = (perLayer: number[]) => ({ mean: perLayer.reduce((a, b) => a + b, 0) / perLayer.length, perLayer });

/** A run directory: config.json (the setup) and metrics.jsonl (train records at steps 1 and 2, held-out at 2), values shifted by `v`. */
async function runDir(path: string, setup: { name: string; seed: number; activation?: string; source?: string; figure?: string }, v: number): Promise<string> {
  await mkdir(path, { recursive: true });
  const config = { name: setup.name, seed: setup.seed, backend: 'auto', model: { kind: 'vit', d: 8 }, activation: setup.activation ?? 'relu', data: { source: setup.source ?? 'synthetic-image', seed: setup.seed }, metrics: ['activation-sparsity'], train: { steps: 2 }, output: { dir: path } };
  const key = setup.figure ?? 'activation-sparsity.value';
  const records = [
    { step: 1, split: 'train', loss: 2 + v, figures: { [key]: figure([0.4 + v, 0.6 + v]) } },
    { step: 2, split: 'train', loss: 1 + v, figures: { [key]: figure([0.5 + v, 0.7 + v]) } },
    { step: 2, split: 'heldOut', loss: 1.5 + v, accuracy: 0.5 + v, figures: { [key]: figure([0.45 + v, 0.65 + v]) } },
  ];
  await writeFile(join(path, 'config.json'), JSON.stringify(config));
  await writeFile(join(path, 'metrics.jsonl'), `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return path;
}

/** The data of the chart titled `title` on the page. */
function chart(html: string, title: string): Spec {
  const at = html.indexOf(`data-title="${title}"`);
  expect(at, `no chart '${title}'`).toBeGreaterThan(0);
  return JSON.parse(/<script type="application\/json" class="fs-chart-data">(.*?)<\/script>/.exec(html.slice(at))![1]!) as Spec;
}

async function compare(args: string[]): Promise<{ code: number; text: string }> {
  const io = recordingIo();
  const code = await main(['compare', ...args], io);
  return { code, text: io.text() };
}

describe('flatsparse compare', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fs-compare-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('draws runs that differ only in the seed as one line with a min..max band, and other configs as other lines', async () => {
    const a0 = await runDir(join(dir, 'a', 's0'), { name: 'exp-s0', seed: 0 }, 0);
    const a1 = await runDir(join(dir, 'a', 's1'), { name: 'exp-s1', seed: 1 }, 0.1);
    const a2 = await runDir(join(dir, 'a', 's2'), { name: 'exp-s2', seed: 2 }, 0.2);
    // A run of flatsparse 0.2: the old names of the activation and of the figure, read under today's.
    const b = await runDir(join(dir, 'b'), { name: 'exp-sq', seed: 0, activation: 'squaredRelu', figure: 'activationSparsity.value' }, 1);
    const out = join(dir, 'page.html');
    const { code, text } = await compare([a0, a1, a2, b, '--out', out]);
    expect(code, text).toBe(0);
    expect(text).toContain('exp: 3 run(s), seeds 0, 1, 2');
    expect(text).toContain('exp-sq: 1 run(s)');
    expect(text).toMatch(/written: .*page\.html \(4 run\(s\) in 2 group\(s\), 5 charts\)/);
    const html = await readFile(out, 'utf8');
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).toContain('<td>activation=squared-relu</td>');

    const loss = chart(html, 'loss');
    expect(loss.x).toEqual([1, 2]);
    expect(loss.series.map((s) => s.label)).toEqual(['exp train (band: min..max of 3 seeds)', 'exp held-out (band: min..max of 3 seeds)', 'exp-sq train', 'exp-sq held-out']);
    const [train, held, other] = loss.series;
    expect(train!.y[0]).toBeCloseTo(2.1, 6);
    expect(train!.low).toEqual([2, 1]);
    expect(train!.high).toEqual([2.2, 1.2]);
    expect(held!.dashed).toBe(true);
    expect(held!.y[0]).toBeNull();
    expect(held!.y[1]).toBeCloseTo(1.6, 6);
    expect(other!.y).toEqual([3, 2]);
    expect(other!.low).toBeUndefined();
    expect(train!.color).toBe(held!.color);
    expect(other!.color).not.toBe(train!.color);

    expect(chart(html, 'held-out accuracy').series.map((s) => s.label)).toEqual(['exp held-out (band: min..max of 3 seeds)', 'exp-sq held-out']);
    const layer1 = chart(html, 'activation-sparsity.value, layer 1');
    expect(layer1.series[0]!.low).toEqual([0.6, 0.7]);
    expect(layer1.series[2]!.y).toEqual([1.6, 1.7]);
    expect(chart(html, 'activation-sparsity.value (mean over layers)').series[2]!.y).toEqual([1.5, 1.6]);

    // --band sd: mean ± the sample standard deviation (0.1 here); --metrics: only what is named.
    const sd = await compare([a0, a1, a2, '--band', 'sd', '--metrics', 'loss', '--out', join(dir, 'sd.html')]);
    expect(sd.code, sd.text).toBe(0);
    const sdLoss = chart(await readFile(join(dir, 'sd.html'), 'utf8'), 'loss');
    expect(sdLoss.series[0]!.label).toBe('exp train (band: mean ± sd of 3 seeds)');
    expect(sdLoss.series[0]!.low![0]).toBeCloseTo(2.0, 6);
    expect(sdLoss.series[0]!.high![1]).toBeCloseTo(1.2, 6);
    expect(sd.text).toContain('1 group(s), 1 charts');
  });

  it('draws runs of different tasks on the figures they share, and refuses when they share none', async () => {
    const image = await runDir(join(dir, 'task-image'), { name: 'img', seed: 0 }, 0);
    const text = await runDir(join(dir, 'task-text'), { name: 'txt', seed: 0, source: 'synthetic-text' }, 0.1);
    const other = await runDir(join(dir, 'task-other'), { name: 'oth', seed: 0, source: 'synthetic-text', figure: 'dead-neurons.value' }, 0.1);
    const shared = await compare([image, text, '--out', join(dir, 'tasks.html')]);
    expect(shared.code, shared.text).toBe(0);
    expect(shared.text).toContain('loss and accuracy are not drawn');
    const html = await readFile(join(dir, 'tasks.html'), 'utf8');
    expect(html).not.toContain('data-title="loss"');
    expect(chart(html, 'activation-sparsity.value (mean over layers)').series).toHaveLength(4);

    const none = await compare([image, other, '--out', join(dir, 'none.html')]);
    expect(none.code).toBe(2);
    expect(none.text).toMatch(/\[E_COMPARE_NOTHING_COMMON\] the runs are of 2 different tasks and have no figure in common/);
    expect(none.text).toContain('vit on synthetic-image');
    expect(none.text).toContain('Fix: compare the runs of one task at a time');
  });

  it('names what is wrong with a path that is not a run directory, a damaged metrics.jsonl or an unknown metric, and how to fix it', async () => {
    const good = await runDir(join(dir, 'good'), { name: 'g', seed: 0 }, 0);
    const missing = await compare([join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.text).toMatch(/\[E_COMPARE_NOT_A_RUN\] '.*nope' does not exist\. Fix: pass the directories 'flatsparse run' wrote/);

    const file = await compare([join(good, 'metrics.jsonl')]);
    expect(file.text).toMatch(/\[E_COMPARE_NOT_A_RUN\] '.*metrics\.jsonl' is a file, not a run directory\. Fix: pass its directory: flatsparse compare .*good/);

    const parent = await compare([join(dir, 'a')]);
    expect(parent.text).toMatch(/\[E_COMPARE_NOT_A_RUN\] '.*a' is not a run directory: it has no metrics\.jsonl\. Fix: it holds 3 run directories .*: pass them, for example flatsparse compare .*a\/\*/);

    const damaged = await runDir(join(dir, 'damaged'), { name: 'd', seed: 0 }, 0);
    const lines = (await readFile(join(damaged, 'metrics.jsonl'), 'utf8')).split('\n');
    await writeFile(join(damaged, 'metrics.jsonl'), [lines[0], lines[1]!.slice(0, 30), lines[2]].join('\n'));
    const corrupt = await compare([good, damaged]);
    expect(corrupt.code).toBe(2);
    expect(corrupt.text).toMatch(/\[E_COMPARE_CORRUPT_RUN\] .*damaged\/metrics\.jsonl, line 2: not JSON .*Received: ".*"\. Expected: one JSON record per line.*Fix: .*restore it/);
    await writeFile(join(damaged, 'metrics.jsonl'), '{"step": 1, "split": "test", "loss": 1, "figures": {}}\n');
    expect((await compare([damaged])).text).toContain("line 1: 'split' is neither 'train' nor 'heldOut'");
    await writeFile(join(damaged, 'metrics.jsonl'), '');
    expect((await compare([damaged])).text).toMatch(/\[E_COMPARE_NO_RECORDS\] '.*metrics\.jsonl' is empty/);

    const unknown = await compare([good, '--metrics', 'loss,hessian-trace']);
    expect(unknown.code).toBe(2);
    expect(unknown.text).toMatch(/\[E_COMPARE_UNKNOWN_METRIC\] --metrics names 'hessian-trace', which none of the 1 run\(s\) logged\..*Expected: loss, accuracy, a metric \(for all its figures\) or a figure: loss, accuracy, activation-sparsity\.value\./);

    expect((await compare([good, '--band', 'range'])).text).toContain("[E_CONFIG_INVALID] Invalid config at '--band': must be 'minmax' or 'sd'.");
    const usage = await compare([]);
    expect(usage.code).toBe(2);
    expect(usage.text).toContain('flatsparse compare: expected one or more run directories, received none.');
  });
});
