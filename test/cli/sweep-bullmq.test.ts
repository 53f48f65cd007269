import { main } from '@flatsparse/cli';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, startCli, type CliProcess } from './cli-process.js';
import { recordingIo } from './recording-io.js';
import { waitUntil } from './wait-until.js';
import { redisMissing, startRedis, type RedisProcess } from './redis-process.js';
import { cleanup, configFile, history, runJson, tempDir, tinyConfig } from './run-dir-fixtures.js';

const missing = redisMissing();
if (missing !== undefined) console.warn(`[skip] the BullMQ sweep tests: ${missing}`);


const made: string[] = [];
const workers: CliProcess[] = [];
let dir: string;
let bin: string;
let redis: RedisProcess;
beforeAll(async () => {
  if (missing !== undefined) return;
  bin = await builtCli();
  dir = await tempDir('fs-bullmq-', made);
  redis = await startRedis(dir);
}, 300_000);
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.ended));
  await redis?.stop();
  await cleanup(made);
});

const CONFIG = tinyConfig({ name: 'queued', steps: 200, checkpointEvery: 10 });

describe.skipIf(missing !== undefined)('flatsparse sweep on BullMQ (redis-server on a loopback port)', () => {
  it('two workers, one SIGKILLed mid-run: every run finishes exactly once, the stalled run resumes from its checkpoint; submitting again starts nothing', async () => {
    await configFile(dir, 'base.yaml', CONFIG);
    const sweep = await configFile(dir, 'queue.yaml', `
name: queued
base: ./base.yaml
out: out
runDir: run-{seed}
axes:
  seed: [0, 1, 2]
`);
    const io = recordingIo();
    expect(await main(['sweep', 'submit', sweep, '--engine', 'bullmq', '--redis', redis.url], io), io.text()).toBe(0);
    expect(io.text()).toContain('starting 3 on bullmq');
    const worker = () => {
      const w = startCli(bin, ['worker', '--redis', redis.url, '--lock-ms', '2000'], dir);
      workers.push(w);
      return w;
    };
    const doomed = worker();
    await doomed.waitFor(/job \w+ started: run (\d+)/);
    const victim = Number(/job \w+ started: run (\d+)/.exec(doomed.output())![1]);
    const survivor = worker();
    const victimDir = join(dir, 'out', `run-${victim}`);
    await waitUntil('a checkpoint of the first run', async () => (await readFile(join(victimDir, 'checkpoints', 'latest'), 'utf8').catch(() => '')) !== '');
    doomed.child.kill('SIGKILL');
    expect((await doomed.ended).signal).toBe('SIGKILL');

    await waitUntil('the tables', async () => JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8').catch(() => '{}')).done === 3);
    const results = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8'));
    expect(results).toMatchObject({ runs: 3, done: 3, missing: [] });
    expect(results.groups[0].arms[0].quality.n).toBe(3);
    // Exactly once: each run's job completed once, all of them by the surviving worker; the killed worker completed none.
    const completions = [...survivor.output().matchAll(/job (\w+) completed/g)].map((m) => m[1]);
    const ids = await Promise.all([0, 1, 2].map(async (s) => JSON.parse(await readFile(join(dir, 'out', `run-${s}`, 'result.json'), 'utf8')).id as string));
    for (const id of ids) expect(completions.filter((c) => c === id)).toHaveLength(1);
    expect(doomed.output()).not.toMatch(/job \w+ completed/);
    // The killed worker's run was handed on as stalled and resumed from its checkpoint, ending equal to a run in one go.
    const log = await readFile(join(dir, 'out', '.sweep', 'logs', `${victim}-${ids[victim]}.log`), 'utf8');
    expect(log).toMatch(/the sweep or worker that started this task is gone: stopping with a checkpoint/);
    expect(log).toMatch(/interrupted with a checkpoint/);
    const run = await runJson(victimDir);
    expect(run.status).toBe('completed');
    const resumes = run.resumes as { fromStep: number }[];
    expect(resumes).toHaveLength(1);
    expect(resumes[0]!.fromStep).toBeGreaterThan(0);
    const alone = await configFile(dir, 'alone.yaml', CONFIG.replace('seed: 3', `seed: ${victim}`));
    expect(await main(['run', alone, '--out', join(dir, 'alone'), '--quiet'], recordingIo())).toBe(0);
    expect(await history(victimDir)).toEqual(await history(join(dir, 'alone')));

    const status = recordingIo();
    expect(await main(['sweep', 'status', sweep], status)).toBe(0);
    expect(status.text()).toContain('3 runs: 3 done, 0 running, 0 pending, 0 failed, 0 missing (engine bullmq)');
    const started = survivor.output().match(/started/g)!.length;
    const again = recordingIo();
    expect(await main(['sweep', 'submit', sweep, '--engine', 'bullmq', '--redis', redis.url], again), again.text()).toBe(0);
    expect(again.text()).toContain('3 runs, 3 done; starting 0 on bullmq');
    await new Promise((r) => setTimeout(r, 1500));
    expect(survivor.output().match(/started/g)!.length).toBe(started);
    survivor.child.kill('SIGTERM');
    expect((await survivor.ended).code).toBe(143);
  }, 240_000);
});
