import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReport } from './html-report.js';
import { RunDirectory } from './run-directory.js';
import { recordsToCsv, type RunRecord } from './run-record.js';
import { chartScripts, lineChart } from './chart.js';

const records: RunRecord[] = [
  { step: 1, split: 'train', loss: 2.3, lr: 0.001, figures: { 'activation-sparsity.value': { mean: 0.5, perLayer: [0.4, 0.6] }, 'augmented-flatness.asK': { mean: 100, perLayer: [90, 110] } } },
  { step: 2, split: 'train', loss: 1.9, lr: 0.001, figures: { 'activation-sparsity.value': { mean: 0.6, perLayer: [0.5, 0.7] }, 'augmented-flatness.asK': { mean: 1, perLayer: [0.5, 1.5] } }, lossTerms: { l1: 0.01 } },
  { step: 2, split: 'heldOut', loss: 2.0, accuracy: 0.3, figures: { 'activation-sparsity.value': { mean: 0.55, perLayer: [0.5, 0.6] } } },
];

/** The data of the first chart in `html`. */
function chartSpec(html: string) {
  const json = /<script type="application\/json" class="fs-chart-data">(.*?)<\/script>/.exec(html)?.[1];
  expect(json, 'no chart data').toBeDefined();
  return JSON.parse(json!);
}

describe('run reports', () => {
  it('writes CSV with one column per figure mean and layer, blanks where absent', () => {
    const lines = recordsToCsv(records).trim().split('\n');
    const header = lines[0]!.split(',');
    expect(header).toContain('activation-sparsity.value.layer1');
    expect(header).toContain('loss_term.l1');
    const col = (row: number, name: string) => lines[row]!.split(',')[header.indexOf(name)];
    expect(col(2, 'augmented-flatness.asK.layer0')).toBe('0.5');
    expect(col(3, 'augmented-flatness.asK.mean')).toBe('');
    expect(col(3, 'accuracy')).toBe('0.3');
    expect(lines).toHaveLength(4);
  });

  it('draws log scales only for positive data and says when a chart has no data', () => {
    expect(chartSpec(lineChart({ title: 't', series: [{ name: 'a', points: [[0, 1], [1, 1000]] }], yScale: 'auto' }))).toMatchObject({ log: true, xLabel: 'step (y: log scale)' });
    expect(chartSpec(lineChart({ title: 't', series: [{ name: 'a', points: [[0, -1], [1, 1000]] }], yScale: 'log' }))).toMatchObject({ log: false, xLabel: 'step' });
    const empty = lineChart({ title: 't', series: [{ name: 'a', points: [[0, Number.NaN]] }] });
    expect(empty).toContain('no data');
    expect(empty).not.toContain('fs-chart-data');
  });

  it("puts each chart's data on one x axis, with gaps, bands and a static SVG for readers without scripts", () => {
    const html = lineChart({
      title: 'a </script> b',
      series: [
        { name: 'train', points: [[1, 0.5], [2, 0.25], [3, Number.NaN]] },
        { name: 'held-out', points: [[2, 0.125]], dashed: true, color: '#00aa00', band: [[2, 0.1, 0.2]], bandLabel: 'min..max of 2 seeds' },
      ],
    });
    const spec = chartSpec(html);
    expect(spec.x).toEqual([1, 2]);
    expect(spec.series).toEqual([
      { label: 'train', color: '#1f77b4', y: [0.5, 0.25] },
      { label: 'held-out (band: min..max of 2 seeds)', color: '#00aa00', dashed: true, y: [null, 0.125], low: [null, 0.1], high: [null, 0.2] },
    ]);
    expect(html.match(/<\/script>/g)).toHaveLength(1);
    const svg = /<noscript>(<svg [^]*<\/svg>)<\/noscript>/.exec(html)?.[1] ?? '';
    expect(svg).toContain('aria-label="a &lt;/script&gt; b"');
    expect(svg).toContain('fill-opacity="0.16"');
    expect(svg).toContain('stroke-dasharray');
  });

  it('renders a self-contained page with one interactive chart per figure and escapes text', () => {
    const html = renderReport({ title: 'run <1>', facts: { backend: 'wasm' }, records, config: { a: '<b>' } });
    expect(html).toContain('run &lt;1&gt;');
    // Nothing is loaded from elsewhere: no src or href attributes, the chart library inlined.
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).toContain(chartScripts());
    expect(html).toMatch(/<script>\/\* uPlot \d+\.\d+\.\d+/);
    const charts = [...html.matchAll(/<figure class="fs-chart" data-title="([^"]*)"/g)].map((m) => m[1]);
    expect(charts).toEqual(['loss', 'held-out accuracy', 'activation-sparsity.value', 'augmented-flatness.asK']);
    expect((html.match(/<noscript><svg /g) ?? []).length).toBe(4);
    const sparsity = chartSpec(html.slice(html.indexOf('data-title="activation-sparsity.value"')));
    expect(sparsity.x).toEqual([1, 2]);
    expect(sparsity.series.map((s: { label: string }) => s.label)).toEqual(['train (mean)', 'inference (mean)', 'train layer 0', 'train layer 1']);
    expect(sparsity.series[0].y).toEqual([0.5, 0.6]);
    expect(sparsity.series[1].y).toEqual([null, 0.55]);
    expect(chartSpec(html.slice(html.indexOf('data-title="augmented-flatness.asK"'))).log).toBe(true);
  });

  it('writes the run directory files atomically', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'fs-run-')), 'run');
    const run = new RunDirectory(dir, { title: 'x', facts: { seed: 1 }, config: { steps: 2 } });
    await run.init();
    for (const r of records) run.add(r);
    await run.flush();
    expect((await readdir(dir)).sort().map((n) => n.replace(/^events\.out\.tfevents\..+$/, 'events.out.tfevents'))).toEqual(['config.json', 'events.out.tfevents', 'metrics.csv', 'metrics.jsonl', 'report.html', 'run.json']);
    const jsonl = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl).toEqual(records);
  });

  it('records a failure atomically in failure.json and shows it and the warnings in the report', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'fs-run-')), 'run');
    const run = new RunDirectory(dir, { title: 'x', facts: { seed: 1 } });
    await run.init();
    run.add(records[0]!);
    run.warn({ code: 'E_PLUGIN_NON_FINITE', plugin: 'm', event: 'metric compute', step: 1, message: 'NaN <figure>', action: "metric 'm' disabled for the rest of the run" });
    const failure = { code: 'E_PLUGIN_LEAK', plugin: 'leaky', event: 'afterStep', step: 2, message: 'left 1 tensor', completedSteps: 3, lastCheckpoint: '/r/checkpoints/step-00000002', time: '2024-01-01T00:00:00.000Z' };
    await run.fail(failure);
    expect((await readdir(dir)).sort().map((n) => n.replace(/^events\.out\.tfevents\..+$/, 'events.out.tfevents'))).toEqual(['config.json', 'events.out.tfevents', 'failure.json', 'metrics.csv', 'metrics.jsonl', 'report.html', 'run.json', 'warnings.json']);
    expect(JSON.parse(await readFile(join(dir, 'failure.json'), 'utf8'))).toEqual(failure);
    expect(JSON.parse(await readFile(join(dir, 'warnings.json'), 'utf8'))).toHaveLength(1);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).toContain("Run failed: E_PLUGIN_LEAK (plugin 'leaky' in 'afterStep' at step 2)");
    expect(html).toContain('/r/checkpoints/step-00000002');
    expect(html).toContain('NaN &lt;figure&gt;');
    expect(html.indexOf('Run failed')).toBeLessThan(html.indexOf('Warnings'));

    // Resumed in the same directory: the failure becomes a warning and failure.json goes.
    const resumed = new RunDirectory(dir, { title: 'x', facts: { seed: 1 } });
    await resumed.loadExisting();
    await resumed.init();
    await resumed.flush();
    expect((await readdir(dir)).sort()).not.toContain('failure.json');
    const warnings = JSON.parse(await readFile(join(dir, 'warnings.json'), 'utf8'));
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatchObject({ code: 'E_PLUGIN_LEAK', plugin: 'leaky', step: 2, action: 'the run stopped after 3 step(s) and was resumed from /r/checkpoints/step-00000002' });
    expect(await readFile(join(dir, 'report.html'), 'utf8')).not.toContain('Run failed');
  });
});
