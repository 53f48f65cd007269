import { writeFileAtomic } from '@flatsparse/core';
import { execFile } from 'node:child_process';
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Io } from '../io.js';
import { FLATSPARSE_BIN, taskArgs, type LiveState, type SubmitSettings, type SweepEngine } from './engine.js';
import type { PlannedRun } from './expand.js';
import type { Sweep } from './load-sweep.js';
import { SweepEngineError } from './sweep-errors.js';

/** One `sweep submit --engine slurm`: the array job, the indices it runs, and its aggregation job. */
interface Submission {
  readonly jobId: string;
  readonly indices: readonly number[];
  readonly collectJobId: string;
  readonly submittedAt: string;
}

/** Runs a Slurm command; resolves with its stdout, or rejects with SweepEngineError naming the command. */
export function slurmCommand(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new SweepEngineError('slurm', missing ? `'${command}' is not installed here.` : `'${command} ${args.join(' ')}' failed: ${stderr.trim() || err.message}`, {
        fix: missing ? 'submit from a Slurm login node (where sbatch, squeue and sacct are on the PATH), or use --engine local.' : 'check the sbatch options (partition, gres, time) against your cluster (sinfo lists the partitions).',
      }));
    });
  });
}

/** Slurm's array syntax for indices: ranges where they are contiguous ("0-3,7,9-10"). */
export function arraySpec(indices: readonly number[]): string {
  const sorted = [...indices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The sbatch options of a submission (flags over the sweep file's `slurm`): the array (indices,
 * `%throttle`, `--requeue`, output appended across requeues, partition, time, gres, extra options)
 * and the aggregation job after it (`--dependency=afterany`, no GPU).
 */
export function sbatchArgs(sweep: Sweep, runs: readonly PlannedRun[], settings: SubmitSettings, dir: string): { array: string[]; collect: (jobId: string) => string[] } {
  const options = sweep.file.slurm;
  const throttle = settings.throttle ?? options?.throttle;
  const partition = settings.partition ?? options?.partition;
  const time = settings.time ?? options?.time;
  const gres = settings.gres ?? options?.gres;
  const common = [...(partition ? [`--partition=${partition}`] : []), ...(time ? [`--time=${time}`] : [])];
  const extra = [...(options?.options ?? []), ...(settings.sbatchOptions ?? [])];
  return {
    array: ['--parsable', `--job-name=${sweep.name}`, `--array=${arraySpec(runs.map((r) => r.index))}${throttle ? `%${throttle}` : ''}`, '--requeue', '--open-mode=append', `--output=${join(dir, '%A_%a.out')}`, ...common, ...(gres ? [`--gres=${gres}`] : []), ...extra],
    collect: (jobId) => ['--parsable', `--job-name=${sweep.name}-collect`, `--dependency=afterany:${jobId}`, `--output=${join(dir, 'collect-%j.out')}`, ...common, ...extra],
  };
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const slurmDir = (sweep: Sweep) => join(sweep.out, '.sweep', 'slurm');

async function submissions(sweep: Sweep): Promise<Submission[]> {
  const text = await readFile(join(slurmDir(sweep), 'submissions.json'), 'utf8').catch(() => '[]');
  return JSON.parse(text) as Submission[];
}

/** A Slurm job state as a LiveState (undefined: not known to mean anything for the run). */
function liveOf(state: string): LiveState | undefined {
  const s = state.split(' ')[0]!.toUpperCase();
  if (['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SUSPENDED', 'RESIZING'].includes(s)) return 'pending';
  if (['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING'].includes(s)) return 'running';
  if (['FAILED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'CANCELLED', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED'].includes(s)) return 'failed';
  if (s === 'COMPLETED') return 'done';
  return undefined;
}

/**
 * `slurm`: one job array per submission (`sbatch --array=<indices>%K --requeue`), each task
 * `flatsparse sweep run-task <sweep> $SLURM_ARRAY_TASK_ID`, and an aggregation job
 * (`--dependency=afterany`) running `flatsparse sweep collect`. A preempted or requeued task gets
 * SIGTERM, checkpoints and exits; when it runs again it resumes from that checkpoint. A task that exits
 * non-zero is not retried by Slurm: `sweep resume` submits exactly the failed and missing runs.
 */
export const slurmEngine: SweepEngine = {
  name: 'slurm',
  async submit(io: Io, sweep: Sweep, runs: readonly PlannedRun[], settings: SubmitSettings): Promise<number> {
    const options = sweep.file.slurm;
    const dir = slurmDir(sweep);
    const stamp = new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15);
    const task = [process.execPath, FLATSPARSE_BIN, ...taskArgs(sweep, '$SLURM_ARRAY_TASK_ID', settings.backend)].map((a) => (a === '$SLURM_ARRAY_TASK_ID' ? '"$SLURM_ARRAY_TASK_ID"' : quote(a))).join(' ');
    // The ids submitted, by array index: a task refuses to run another run (the sweep file edited since, E_SWEEP_CHANGED).
    const ids = `ids=(${runs.map((r) => `[${r.index}]=${r.id}`).join(' ')})`;
    const script = join(dir, `array-${stamp}.sh`);
    await writeFileAtomic(script, `#!/bin/bash\n# flatsparse sweep ${sweep.name}: one run per array task (written by flatsparse sweep submit --engine slurm)\n${ids}\nexec ${task} --expect-id "\${ids[$SLURM_ARRAY_TASK_ID]}"\n`);
    await chmod(script, 0o755);
    const { array, collect: collectArgs } = sbatchArgs(sweep, runs, settings, dir);
    const throttle = settings.throttle ?? options?.throttle;
    const jobId = (await slurmCommand('sbatch', [...array, script])).trim().split(';')[0]!;
    const collect = join(dir, `collect-${stamp}.sh`);
    await writeFileAtomic(collect, `#!/bin/bash\n# flatsparse sweep ${sweep.name}: the tables, once the array ${jobId} has ended\nexec ${[process.execPath, FLATSPARSE_BIN, 'sweep', 'collect', sweep.path, '--out', sweep.out].map(quote).join(' ')}\n`);
    await chmod(collect, 0o755);
    const collectJobId = (await slurmCommand('sbatch', [...collectArgs(jobId), collect])).trim().split(';')[0]!;
    const all = [...(await submissions(sweep)), { jobId, indices: runs.map((r) => r.index), collectJobId, submittedAt: new Date().toISOString() }];
    await writeFileAtomic(join(dir, 'submissions.json'), `${JSON.stringify(all, null, 2)}\n`);
    io.out(`submitted job array ${jobId} (${runs.length} runs: ${arraySpec(runs.map((r) => r.index))}${throttle ? `, at most ${throttle} at once` : ''}) and aggregation job ${collectJobId}; logs in ${dir}`);
    return 0;
  },

  /** From sacct where accounting is on, then squeue (queued and running tasks, and finished ones for MinJobAge); the newest submission of a run wins. */
  async liveStates(sweep: Sweep): Promise<ReadonlyMap<number, LiveState>> {
    const states = new Map<number, LiveState>();
    for (const sub of await submissions(sweep)) {
      const seen = new Map<number, LiveState>();
      const parse = (text: string) => {
        for (const line of text.split('\n')) {
          const [id, state] = line.trim().split('|');
          const m = /^(\d+)_(\d+)$/.exec(id ?? '');
          const live = state === undefined ? undefined : liveOf(state);
          if (m && m[1] === sub.jobId && live !== undefined && sub.indices.includes(Number(m[2]))) seen.set(Number(m[2]), live);
        }
      };
      parse(await slurmCommand('sacct', ['-n', '-P', '-X', '-j', sub.jobId, '-o', 'JobID,State']).catch(() => ''));
      parse(await slurmCommand('squeue', ['-h', '-r', '-t', 'all', '-j', sub.jobId, '-o', '%i|%T']).catch(() => ''));
      for (const i of sub.indices) states.delete(i);
      for (const [i, s] of seen) states.set(i, s);
    }
    return states;
  },
};
