import { main } from '@flatsparse/cli';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from './cli-process.js';
import { recordingIo } from './recording-io.js';
import { cleanup, configFile, history, modelBytes, snapshot, tempDir, tinyConfig } from './run-dir-fixtures.js';

// A tiny base config (a second a run) and a sweep of 2 arms x 2 seeds over it, written as a user would.
const BASE = tinyConfig({ name: 'tiny', steps: 12 });
const SWEEP = `
name: grid
base: ./base.yaml
out: out
axes:
  arm:
    vanilla: {}
    jsrelu: { activation: j-squared-relu }
  seed: [0, 1]
`;

interface Results {
  runs: number;
  done: number;
  missing: { index: number; state: string }[];
  groups: { arms: { arm: string; quality: { n: number; values: number[] } }[]; comparisons: { arm: string; reference: string; seeds: number[]; densityReduction: { family: number } }[] }[];
}

const made: string[] = [];
let dir: string;
afterAll(() => cleanup(made));
beforeAll(async () => {
  await builtCli(); // the local engine's tasks run the built CLI
  dir = await tempDir('fs-sweep-', made);
  await configFile(dir, 'base.yaml', BASE);
  await configFile(dir, 'sweep.yaml', SWEEP);
}, 300_000);

/** The runs of the sweep by their axis labels ('vanilla/0'), from the table `sweep plan` prints. */
async function plan(sweep: string): Promise<Map<string, { id: string; dir: string; state: string }>> {
  const io = recordingIo();
  expect(await main(['sweep', 'plan', sweep], io), io.text()).toBe(0);
  const lines = io.out_.join('\n').split('\n');
  const header = lines.find((l) => l.startsWith('index'))!.split(/\s+/);
  const rows = lines.filter((l) => /^\d+\s/.test(l)).map((l) => Object.fromEntries(l.split(/\s+/).map((c, i) => [header[i]!, c])));
  const axes = header.slice(2, header.indexOf('state'));
  return new Map(rows.map((r) => [axes.map((a) => r[a]).join('/'), { id: r['id']!, dir: r['directory']!, state: r['state']! }]));
}

describe('flatsparse sweep on the local engine', () => {
  it('runs 2 arms x 2 seeds with 2 jobs, each run equal to its config run alone, with the tables; submitting again starts nothing', async () => {
    const sweep = join(dir, 'sweep.yaml');
    const before = await plan(sweep);
    expect([...before.keys()]).toEqual(['vanilla/0', 'vanilla/1', 'jsrelu/0', 'jsrelu/1']);
    expect(new Set([...before.values()].map((r) => r.id)).size).toBe(4);
    for (const r of before.values()) {
      expect(r.state).toBe('missing');
      expect(r.dir).toBe(join(dir, 'out', r.id));
    }
    const io = recordingIo();
    expect(await main(['sweep', sweep, '--jobs', '2'], io), io.text()).toBe(0);
    expect(io.text()).toContain('starting 4 on local: 0, 1, 2, 3');

    // Each run equals the same config trained alone by `flatsparse run` (records apart from wall time, and the model).
    for (const [key, run] of before) {
      const [arm, seed] = key.split('/');
      const alone = await configFile(dir, `alone-${arm}-${seed}.yaml`, `${BASE.replace('seed: 3', `seed: ${seed}`)}${arm === 'jsrelu' ? 'activation: j-squared-relu\n' : ''}`);
      const reference = join(dir, `alone-${arm}-${seed}`);
      expect(await main(['run', alone, '--out', reference, '--quiet'], recordingIo())).toBe(0);
      expect(await history(run.dir), key).toEqual(await history(reference));
      expect((await modelBytes(run.dir)).equals(await modelBytes(reference)), key).toBe(true);
      const result = JSON.parse(await readFile(join(run.dir, 'result.json'), 'utf8'));
      expect(result).toMatchObject({ id: run.id, labels: { arm, seed }, steps: 12 });
    }
    const results = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8')) as Results;
    expect(results).toMatchObject({ runs: 4, done: 4, missing: [] });
    const [vanilla, jsrelu] = results.groups[0]!.arms;
    expect([vanilla!.arm, jsrelu!.arm]).toEqual(['vanilla', 'jsrelu']);
    expect(vanilla!.quality.n).toBe(2);
    // The same paired comparison as reproduce and demo: jsrelu against the reference, paired by seed.
    expect(results.groups[0]!.comparisons).toMatchObject([{ arm: 'jsrelu', reference: 'vanilla', seeds: [0, 1], densityReduction: { family: 1 } }]);
    const csv = (await readFile(join(dir, 'out', 'results.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[0]).toMatch(/^arm,seeds_done,quality_measure,quality_mean,quality_std,/);
    const page = await readFile(join(dir, 'out', 'results.html'), 'utf8');
    expect(page).toContain('<figure class="fs-chart" data-title="grid: held-out activation sparsity">');
    // Every curve of the group too: each arm the mean of its 2 seeds with their min..max as a band.
    const every = page.slice(page.indexOf('<details><summary>Every curve'));
    const loss = JSON.parse(/data-title="loss"><script type="application\/json" class="fs-chart-data">(.*?)<\/script>/.exec(every)![1]!);
    expect(loss.series.map((s: { label: string }) => s.label)).toEqual(['vanilla train (band: min..max of 2 seeds)', 'vanilla held-out (band: min..max of 2 seeds)', 'jsrelu train (band: min..max of 2 seeds)', 'jsrelu held-out (band: min..max of 2 seeds)']);

    // Submitting the finished sweep again starts nothing and touches no run directory.
    const runs = await Promise.all([...before.values()].map((r) => snapshot(r.dir)));
    const again = recordingIo();
    expect(await main(['sweep', 'submit', sweep, '--jobs', '2'], again), again.text()).toBe(0);
    expect(again.text()).toContain('4 runs, 4 done; starting 0 on local');
    expect(again.text()).not.toMatch(/run \d \(\w+\) started/);
    expect(await Promise.all([...before.values()].map((r) => snapshot(r.dir)))).toEqual(runs);
    // A task whose run is not the one submitted (the sweep file edited since) refuses to start.
    const changed = recordingIo();
    expect(await main(['sweep', 'run-task', sweep, '0', '--expect-id', '000000000000'], changed)).toBe(2);
    expect(changed.text()).toMatch(/\[E_SWEEP_CHANGED\] Run 0 of the sweep .* is no longer the run submitted: its id is \w{12} now.*Fix: do not edit a sweep file/);
    const status = recordingIo();
    expect(await main(['sweep', 'status', sweep], status)).toBe(0);
    expect(status.text()).toContain('4 runs: 4 done, 0 running, 0 pending, 0 failed, 0 missing');
  }, 240_000);

  it('marks a failed run failed, collects the rest saying what is missing, and `sweep resume` reruns exactly the failed one', async () => {
    const sub = join(dir, 'flaky');
    await configFile(dir, 'flaky.yaml', `
name: flaky
base: ./base.yaml
out: flaky
axes:
  arm:
    vanilla: {}
    plugin: { plugins: [./noop-plugin.mjs] }
`);
    const sweep = join(dir, 'flaky.yaml');
    // The plugin file does not exist yet: the second run fails.
    const io = recordingIo();
    expect(await main(['sweep', sweep], io)).toBe(1);
    expect(io.text()).toMatch(/run 1 \(\w+\) exited with 1/);
    const runs = await plan(sweep);
    const [done, failed] = [runs.get('vanilla'), runs.get('plugin')];
    expect(done!.state).toBe('done');
    expect(failed!.state).toBe('failed');
    expect(JSON.parse(await readFile(join(failed!.dir, 'sweep-failure.json'), 'utf8')).error).toMatch(/E_PLUGIN_NOT_FOUND/);
    const results = JSON.parse(await readFile(join(sub, 'results.json'), 'utf8')) as Results;
    expect(results).toMatchObject({ runs: 2, done: 1, missing: [{ index: 1, state: 'failed' }] });
    expect(await readFile(join(sub, 'results.md'), 'utf8')).toMatch(/1 of 2 runs done; not in the tables:\n\n- run 1 \(\w+\) arm=plugin: failed/);

    await writeFile(join(dir, 'noop-plugin.mjs'), "export default { name: 'noop', version: '0.0.1', apiVersion: '>=0.1.0' };\n");
    const kept = await snapshot(done!.dir);
    const resume = recordingIo();
    expect(await main(['sweep', 'resume', sweep], resume), resume.text()).toBe(0);
    expect(resume.text()).toContain('2 runs, 1 done; starting 1 on local: 1');
    expect(await snapshot(done!.dir)).toEqual(kept);
    expect([...(await plan(sweep)).values()].map((r) => r.state)).toEqual(['done', 'done']);
    expect(JSON.parse(await readFile(join(sub, 'results.json'), 'utf8'))).toMatchObject({ runs: 2, done: 2, missing: [] });
  }, 120_000);
});
