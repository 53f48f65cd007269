import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { acquireRunLock } from '@flatsparse/core';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../io.js';
import { FLATSPARSE_BIN, taskArgs, type SubmitSettings, type SweepEngine } from './engine.js';
import { runLabel, type PlannedRun } from './expand.js';
import type { Sweep } from './load-sweep.js';

/** The log file of a run's task (stdout and stderr), under the sweep's .sweep/logs/. */
export function taskLog(sweep: Sweep, run: PlannedRun): string {
  return join(sweep.out, '.sweep', 'logs', `${run.index}-${run.id}.log`);
}

/**
 * Runs one task as a child process (its output to its log); resolves with its exit code. The child
 * gets an IPC channel it never uses but for one thing: when this process dies, even by SIGKILL, the
 * channel closes and the task stops with a checkpoint ('disconnect' in `sweep run-task`), so no run
 * trains on as an orphan; the next submission resumes it (waiting for its lock while it stops).
 */
function runTask(sweep: Sweep, run: PlannedRun, backend: string | undefined, signal: AbortSignal, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    // The child writes its log itself (not through a pipe to this process), so its last lines are kept
    // and no write fails when this process is gone.
    const fd = openSync(taskLog(sweep, run), 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [FLATSPARSE_BIN, ...taskArgs(sweep, run, backend)], { stdio: ['ignore', fd, fd, 'ipc'], env });
    } finally {
      closeSync(fd);
    }
    const stop = () => child.kill('SIGTERM');
    signal.addEventListener('abort', stop, { once: true });
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      signal.removeEventListener('abort', stop);
      resolve(code ?? (sig === 'SIGTERM' ? 143 : 1));
    });
  });
}

/**
 * `local`: the runs as child processes on this machine, `jobs` at a time (default 1, the cores shared
 * among them), each
 * `flatsparse sweep run-task` writing its run directory and result file; SIGINT/SIGTERM to the sweep
 * passes SIGTERM on (each run stops with a checkpoint; submitting again resumes them).
 */
export const localEngine: SweepEngine = {
  name: 'local',
  async submit(io: Io, sweep: Sweep, runs: readonly PlannedRun[], settings: SubmitSettings): Promise<number> {
    const jobs = Math.max(1, settings.jobs ?? sweep.file.local?.jobs ?? 1);
    // Runs at once share the cores: each child's native backend gets cores / jobs threads unless the
    // user chose (FLATSPARSE_NATIVE_THREADS), so two runs on two cores do not oversubscribe them.
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FLATSPARSE_NATIVE_THREADS: process.env['FLATSPARSE_NATIVE_THREADS'] ?? String(Math.max(1, Math.floor(availableParallelism() / jobs))) };
    await mkdir(join(sweep.out, '.sweep', 'logs'), { recursive: true });
    // One local submission of a sweep at a time: a second is refused, naming the first.
    const lock = await acquireRunLock(join(sweep.out, '.sweep'), { what: 'sweep', command: `flatsparse sweep submit ${sweep.path} (local, ${jobs} job(s))` });
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const queue = [...runs];
    let failed = 0;
    const worker = async () => {
      for (let run = queue.shift(); run !== undefined && !controller.signal.aborted; run = queue.shift()) {
        io.err(`run ${run.index} (${run.id}) started: ${runLabel(run)}`);
        const code = await runTask(sweep, run, settings.backend, controller.signal, env);
        if (code !== 0) failed++;
        io.err(`run ${run.index} (${run.id}) ${code === 0 ? 'done' : `exited with ${code}; log: ${taskLog(sweep, run)}`}`);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(jobs, runs.length) }, worker));
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await lock.release();
    }
    if (controller.signal.aborted) return 143;
    return failed === 0 ? 0 : 1;
  },
};
