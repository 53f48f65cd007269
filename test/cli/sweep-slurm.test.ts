import { main } from '@flatsparse/cli';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from './cli-process.js';
import { recordingIo } from './recording-io.js';
import { cleanup, configFile, history, runJson, snapshot, tempDir, tinyConfig } from './run-dir-fixtures.js';
import { slurmMissing, startSlurm, type SlurmCluster } from './slurm-cluster.js';
import { waitUntil } from './wait-until.js';

const missing = slurmMissing();
if (missing !== undefined) console.warn(`[skip] the Slurm sweep tests: ${missing}`);


const made: string[] = [];
let dir: string;
let slurm: SlurmCluster;
beforeAll(async () => {
  if (missing !== undefined) return;
  await builtCli(); // the array tasks run the built CLI
  dir = await tempDir('fs-slurm-', made);
  slurm = await startSlurm(join(dir, 'slurm'));
}, 300_000);
afterAll(async () => {
  await slurm?.stop();
  await cleanup(made);
});

/** The array tasks of a job in squeue as [index, state]. */
function tasks(jobId: string): [number, string][] {
  return slurm.command('squeue', ['-h', '-r', '-t', 'all', '-j', jobId, '-o', '%i %T']).trim().split('\n').filter((l) => l !== '').map((l) => {
    const [id, state] = l.split(' ');
    return [Number(id!.split('_')[1]), state!];
  });
}

describe.skipIf(missing !== undefined)('flatsparse sweep on Slurm (a single-node cluster on 127.0.0.1)', () => {
  it('runs a job array of 4 at most 2 at once with an aggregation job; a failed task is not retried, and `sweep resume` reruns exactly it', async () => {
    await configFile(dir, 'base.yaml', tinyConfig({ steps: 12 }));
    const sweep = await configFile(dir, 'array.yaml', `
name: array
base: ./base.yaml
out: array
axes:
  variant:
    a: { seed: 0 }
    b: { seed: 1 }
    c: { activation: j-squared-relu }
    flaky: { plugins: [./noop-plugin.mjs] }
`);
    const io = recordingIo();
    expect(await main(['sweep', 'submit', sweep, '--engine', 'slurm', '--throttle', '2'], io), io.text()).toBe(0);
    const [first] = JSON.parse(await readFile(join(dir, 'array', '.sweep', 'slurm', 'submissions.json'), 'utf8'));
    expect(first.indices).toEqual([0, 1, 2, 3]);
    expect(slurm.command('scontrol', ['show', 'job', first.jobId])).toMatch(/ArrayTaskThrottle=2/);
    let most = 0;
    await waitUntil('the aggregation job', () => {
      most = Math.max(most, tasks(first.jobId).filter(([, s]) => s === 'RUNNING').length);
      return /COMPLETED|FAILED/.test(slurm.command('squeue', ['-h', '-t', 'all', '-j', first.collectJobId, '-o', '%T']));
    });
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
    expect(slurm.command('squeue', ['-h', '-t', 'all', '-j', first.collectJobId, '-o', '%T']).trim()).toBe('COMPLETED');
    expect(tasks(first.jobId).sort()).toEqual([[0, 'COMPLETED'], [1, 'COMPLETED'], [2, 'COMPLETED'], [3, 'FAILED']]);
    const results = JSON.parse(await readFile(join(dir, 'array', 'results.json'), 'utf8'));
    expect(results).toMatchObject({ runs: 4, done: 3, missing: [{ index: 3, state: 'failed' }] });
    // Slurm did not run the failed task again: one start in its log.
    const log = await readFile(join(dir, 'array', '.sweep', 'slurm', `${first.jobId}_3.out`), 'utf8');
    expect(log.match(/run 3 \(\w+\) of sweep array/g)).toHaveLength(1);
    expect(log).toMatch(/E_PLUGIN_NOT_FOUND/);
    const status = recordingIo();
    expect(await main(['sweep', 'status', sweep], status)).toBe(0);
    expect(status.text()).toContain('4 runs: 3 done, 0 running, 0 pending, 1 failed, 0 missing (engine slurm)');

    await writeFile(join(dir, 'noop-plugin.mjs'), "export default { name: 'noop', version: '0.0.1', apiVersion: '>=0.1.0' };\n");
    const runDirs = (await readdir(join(dir, 'array'))).filter((d) => /^[0-9a-f]{12}$/.test(d)).map((d) => join(dir, 'array', d));
    const done = [];
    for (const d of runDirs) if ((await readdir(d)).includes('result.json')) done.push(d);
    expect(done).toHaveLength(3);
    const kept = await Promise.all(done.map((d) => snapshot(d)));
    const resume = recordingIo();
    expect(await main(['sweep', 'resume', sweep], resume), resume.text()).toBe(0);
    expect(resume.text()).toContain('4 runs, 3 done; starting 1 on slurm: 3');
    const [, second] = JSON.parse(await readFile(join(dir, 'array', '.sweep', 'slurm', 'submissions.json'), 'utf8'));
    expect(second.indices).toEqual([3]);
    await waitUntil('the resumed run', () => /COMPLETED|FAILED/.test(slurm.command('squeue', ['-h', '-t', 'all', '-j', second.collectJobId, '-o', '%T'])));
    expect(tasks(second.jobId)).toEqual([[3, 'COMPLETED']]);
    expect(JSON.parse(await readFile(join(dir, 'array', 'results.json'), 'utf8'))).toMatchObject({ runs: 4, done: 4, missing: [] });
    // The runs done before were not touched.
    expect(await Promise.all(done.map((d) => snapshot(d)))).toEqual(kept);
  }, 300_000);

  it('a requeued running task gets SIGTERM, checkpoints, and resumes from its checkpoint when it runs again', async () => {
    const config = tinyConfig({ name: 'long', steps: 300, checkpointEvery: 10 });
    await configFile(dir, 'long.yaml', config);
    const sweep = await configFile(dir, 'requeue.yaml', `
name: requeue
base: ./long.yaml
out: requeue
runDir: run-{seed}
axes:
  seed: [3]
`);
    expect(await main(['sweep', 'submit', sweep, '--engine', 'slurm'], recordingIo())).toBe(0);
    const [sub] = JSON.parse(await readFile(join(dir, 'requeue', '.sweep', 'slurm', 'submissions.json'), 'utf8'));
    const runDir = join(dir, 'requeue', 'run-3');
    await waitUntil('a first checkpoint', async () => (await readFile(join(runDir, 'checkpoints', 'latest'), 'utf8').catch(() => '')) !== '');
    slurm.command('scontrol', ['requeue', `${sub.jobId}_0`]);
    // Slurm holds a requeued job (BeginTime about two minutes ahead); let it start at once.
    await waitUntil('the requeue', () => tasks(sub.jobId).some(([, s]) => s === 'PENDING'), 60);
    slurm.command('scontrol', ['update', `jobid=${sub.jobId}_0`, 'starttime=now']);
    await waitUntil('the resumed run', async () => (await readFile(join(runDir, 'result.json'), 'utf8').catch(() => '')) !== '');
    const run = await runJson(runDir);
    expect(run.status).toBe('completed');
    const resumes = run.resumes as { fromStep: number }[];
    expect(resumes).toHaveLength(1);
    expect(resumes[0]!.fromStep).toBeGreaterThan(0);
    expect(resumes[0]!.fromStep).toBeLessThan(300);
    const log = await readFile(join(dir, 'requeue', '.sweep', 'slurm', `${sub.jobId}_0.out`), 'utf8');
    expect(log).toMatch(/SIGTERM: finishing the current step and writing a checkpoint/);
    expect(log).toMatch(/interrupted with a checkpoint/);
    // The resumed run equals the run trained in one go.
    const alone = await configFile(dir, 'alone.yaml', config);
    expect(await main(['run', alone, '--out', join(dir, 'alone'), '--quiet'], recordingIo())).toBe(0);
    expect(await history(runDir)).toEqual(await history(join(dir, 'alone')));
  }, 300_000);
});
