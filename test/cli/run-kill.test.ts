import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, startCli } from './cli-process.js';
import { cleanup, configFile, history, tempDir, tinyConfig } from './run-dir-fixtures.js';

// kill -9 at random moments (during start-up, while the run directory is prepared, mid-step, while a
// checkpoint is written, pruned or published), then the same command again, as a scheduler restarts a
// preempted job: `flatsparse run c.yaml --out D --resume D`. Every chain of kills must end with a run
// directory equal to the uninterrupted run's: the same history (apart from wall times), the same model,
// the same checkpoints. The moments are random; the seed is printed with any failure.
const KILLS = Number(process.env.FLATSPARSE_KILLS ?? 20);
const SEED = Number(process.env.FLATSPARSE_KILL_SEED ?? Date.now() % 1_000_000);
const CONFIG = tinyConfig({ steps: 60, checkpointEvery: 3, train: ', keepCheckpoints: 2', extra: 'backend: wasm' }).replace('evalEvery: 4', 'evalEvery: 10');

/** mulberry32: a seeded uniform generator in [0, 1). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const made: string[] = [];
let bin: string;
let dir: string;
let configPath: string;
afterAll(() => cleanup(made));
beforeAll(async () => {
  bin = await builtCli();
  dir = await tempDir('fs-kill-', made);
  configPath = await configFile(dir, 'c.yaml', CONFIG);
}, 300_000);

/** What a run directory holds at the end: history, final model, and the kept checkpoints' tensors. */
async function outcome(runDir: string): Promise<{ history: unknown[]; model: string; checkpoints: Record<string, string> }> {
  const names = (await readdir(join(runDir, 'checkpoints'))).sort();
  const checkpoints: Record<string, string> = { names: names.join(',') };
  for (const n of names.filter((n) => n.startsWith('step-'))) {
    for (const f of ['model.safetensors', 'optimizer.safetensors']) checkpoints[`${n}/${f}`] = (await readFile(join(runDir, 'checkpoints', n, f))).toString('base64');
  }
  return { history: await history(runDir), model: (await readFile(join(runDir, 'model.safetensors'))).toString('base64'), checkpoints };
}

async function published(runDir: string): Promise<string> {
  return (await readFile(join(runDir, 'checkpoints', 'latest'), 'utf8').catch(() => 'none')).trim();
}

describe(`kill -9 at ${KILLS}+ random moments, then resume (seed ${SEED})`, () => {
  it('every chain of kills and resumes ends bit-identical to the uninterrupted run', async () => {
    const args = (runDir: string) => ['run', configPath, '--out', runDir, '--resume', runDir];
    // The uninterrupted run, timed: start-up until training starts ('backend:'), then training.
    const started = Date.now();
    const reference = startCli(bin, args(join(dir, 'reference')), dir);
    await reference.waitFor(/backend: /);
    const startupMs = Date.now() - started;
    const end = await reference.ended;
    expect(end.code, end.output).toBe(0);
    const trainMs = Date.now() - started - startupMs;
    const expected = await outcome(join(dir, 'reference'));

    const random = uniform(SEED);
    let kills = 0;
    let midRun = 0;
    let chains = 0;
    const worker = async (w: number) => {
      for (let c = 0; kills < KILLS; c++) {
        const runDir = join(dir, `chain-${w}-${c}`);
        chains++;
        for (;;) {
          const before = await published(runDir);
          const attempt = startCli(bin, args(runDir), dir);
          const last = kills >= KILLS;
          if (!last) {
            // A quarter of the kills during start-up, the others at any moment of training.
            const early = random() < 0.25;
            const delay = (early ? startupMs : trainMs) * random();
            const timer = early ? Promise.resolve() : attempt.waitFor(/backend: /).catch(() => undefined);
            void timer.then(() => new Promise((r) => setTimeout(r, delay))).then(() => attempt.child.kill('SIGKILL'));
          }
          const { code, signal, output } = await attempt.ended;
          if (code === 0) break;
          expect(signal, `chain ${runDir} (seed ${SEED}): not resumable after a kill, the attempt failed with exit ${code}:\n${output}`).toBe('SIGKILL');
          kills++;
          if ((await published(runDir)) !== before) midRun++;
        }
        const got = await outcome(runDir);
        expect(got.history, `${runDir} (seed ${SEED})`).toEqual(expected.history);
        expect(got.checkpoints, `${runDir} (seed ${SEED})`).toEqual(expected.checkpoints);
        expect(got.model === expected.model, `${runDir}: model differs (seed ${SEED})`).toBe(true);
      }
    };
    await Promise.all([worker(0), worker(1)]);
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    // Kills landed during training too (a checkpoint was published by the attempt that was killed).
    expect(midRun, `kills ${kills}, chains ${chains}, seed ${SEED}`).toBeGreaterThanOrEqual(3);
  }, 600_000);
});
