import { spawn } from 'node:child_process';
import { openSync, closeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Io } from '../io.js';
import { SIGNAL_EXIT } from '../signals.js';
import { FLATSPARSE_BIN } from '../sweep/engine.js';
import type { SweepJob } from '../sweep/engine-bullmq.js';
import { redisConnection } from '../sweep/redis-connection.js';

/** Options of `flatsparse worker`. */
export interface WorkerOptions {
  readonly redis: string;
  readonly queue?: string;
  /** Jobs at once (default 1: one worker per GPU). */
  readonly concurrency?: number;
  readonly backend?: string;
  /** The job lock's duration and the stalled-job check's interval, in ms (default 30000). */
  readonly lockMs?: number;
}

/** The `flatsparse` arguments a job runs. */
function argsOf(job: SweepJob, backend: string | undefined): string[] {
  if (job.kind === 'collect') return ['sweep', 'collect', job.sweep, '--out', job.out];
  const b = job.backend ?? backend;
  return ['sweep', 'run-task', job.sweep, String(job.index), '--out', job.out, '--expect-id', job.id, ...(b ? ['--backend', b] : [])];
}

/**
 * Runs one job as a child process, its output appended to the run's log (never to a pipe: a child that
 * outlives a killed worker must not die of a broken pipe before its checkpoint). The IPC channel
 * tells the child when the worker is gone (it then stops with a checkpoint).
 */
function runChild(job: SweepJob, backend: string | undefined, children: Set<ReturnType<typeof spawn>>): Promise<{ code: number; pid: number | undefined; log: string }> {
  const logs = join(job.out, '.sweep', 'logs');
  mkdirSync(logs, { recursive: true });
  const log = join(logs, job.kind === 'run' ? `${job.index}-${job.id}.log` : 'collect.log');
  const fd = openSync(log, 'a');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FLATSPARSE_BIN, ...argsOf(job, backend)], { stdio: ['ignore', fd, fd, 'ipc'], env: { ...process.env, NO_COLOR: '1' } });
    closeSync(fd);
    children.add(child);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code: code ?? (signal === 'SIGTERM' ? 143 : 1), pid: child.pid, log });
    });
  });
}

/**
 * `flatsparse worker --redis URL`: takes the jobs of `sweep submit --engine bullmq` from the queue and
 * runs each as `flatsparse sweep run-task` (or `sweep collect`) in a child process, so a long,
 * synchronous training step never blocks the lock renewal in this process (BullMQ would otherwise
 * take the job for stalled and hand it to a second worker). A job whose child exits non-zero fails
 * its attempt (BullMQ retries it with backoff). SIGINT/SIGTERM: the children stop with a checkpoint,
 * the worker closes; a killed worker's job is stalled, handed to another worker, and resumes.
 */
export async function workerCommand(io: Io, options: WorkerOptions): Promise<number> {
  const { Worker } = await import('bullmq');
  const connection = redisConnection(options.redis);
  const children = new Set<ReturnType<typeof spawn>>();
  const queue = options.queue ?? 'flatsparse';
  const worker = new Worker<SweepJob>(
    queue,
    async (job) => {
      const what = job.data.kind === 'run' ? `run ${job.data.index} (${job.data.id})` : 'the tables';
      io.err(`worker ${process.pid}: job ${job.id} started: ${what}, attempt ${job.attemptsMade + 1}`);
      const { code, pid, log } = await runChild(job.data, options.backend, children);
      if (code !== 0) {
        io.err(`worker ${process.pid}: job ${job.id} failed (child ${pid} exited with ${code}; log: ${log})`);
        throw new Error(`flatsparse ${argsOf(job.data, options.backend).join(' ')} exited with ${code}; log: ${log}`);
      }
      io.err(`worker ${process.pid}: job ${job.id} completed`);
      return { code };
    },
    { connection, concurrency: options.concurrency ?? 1, ...(options.lockMs ? { lockDuration: options.lockMs, stalledInterval: options.lockMs } : {}) },
  );
  worker.on('error', (err) => io.err(`worker ${process.pid}: ${err.message}`));
  await worker.waitUntilReady();
  io.err(`worker ${process.pid}: waiting for jobs on ${options.redis} (queue ${queue}, ${options.concurrency ?? 1} at once)`);
  const received = await new Promise<'SIGINT' | 'SIGTERM'>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  io.err(`worker ${process.pid}: ${received}: stopping the running jobs with a checkpoint and closing`);
  for (const child of children) child.kill('SIGTERM');
  await worker.close();
  return SIGNAL_EXIT[received];
}
