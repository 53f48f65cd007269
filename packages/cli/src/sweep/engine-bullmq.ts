import { FlowProducer, Queue } from 'bullmq';
import { createHash } from 'node:crypto';
import type { Io } from '../io.js';
import type { LiveState, SubmitSettings, SweepEngine } from './engine.js';
import type { PlannedRun } from './expand.js';
import type { Sweep } from './load-sweep.js';
import { redisConnection } from './redis-connection.js';
import { SweepEngineError } from './sweep-errors.js';

/** What a queued job asks a worker to do: one run of a sweep, or the tables once its runs have ended. */
export type SweepJob =
  | { readonly kind: 'run'; readonly sweep: string; readonly out: string; readonly index: number; readonly id: string; readonly backend?: string }
  | { readonly kind: 'collect'; readonly sweep: string; readonly out: string };

function connectionOf(settings: SubmitSettings) {
  if (settings.redis === undefined) throw new SweepEngineError('bullmq', 'no Redis server given.', { fix: 'pass --redis redis://host:port (the server the workers use).' });
  return redisConnection(settings.redis);
}

/** Fails with a clear error when Redis does not answer (instead of ioredis retrying forever). */
async function reachable<T>(settings: SubmitSettings, what: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SweepEngineError('bullmq', `the Redis server ${settings.redis} does not answer.`, { fix: 'start it (redis-server), or check the URL and that this machine can reach it.' })), 15_000);
  });
  try {
    return await Promise.race([what, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `bullmq`: a flow on the sweep's queue: the parent job builds the tables (`sweep collect`), its
 * children are the runs (job id = run id, so a run is queued once; attempts with exponential
 * backoff). `flatsparse worker` runs them, each in a child process. A failed run does not hold the
 * tables back; earlier jobs of the runs submitted again (failed ones) are removed first.
 */
export const bullmqEngine: SweepEngine = {
  name: 'bullmq',
  async submit(io: Io, sweep: Sweep, runs: readonly PlannedRun[], settings: SubmitSettings): Promise<number> {
    const connection = connectionOf(settings);
    const options = sweep.file.bullmq ?? { queue: 'flatsparse', attempts: 3, backoff: 5000 };
    const queue = new Queue(options.queue, { connection });
    const flow = new FlowProducer({ connection });
    try {
      for (const run of runs) {
        const job = await reachable(settings, queue.getJob(run.id));
        if (job !== undefined) {
          const state = await job.getState();
          if (state === 'active' || state === 'waiting' || state === 'delayed' || state === 'prioritized') throw new SweepEngineError('bullmq', `run ${run.index} (${run.id}) is ${state} on queue ${options.queue}.`, { fix: 'wait for it (flatsparse sweep status), or submit only when no worker runs it.' });
          await job.remove();
        }
      }
      const parent = `collect-${sweep.name}-${createHash('sha256').update(runs.map((r) => r.id).join(',') + Date.now()).digest('hex').slice(0, 10)}`;
      await reachable(settings, flow.add({
        name: 'collect',
        queueName: options.queue,
        data: { kind: 'collect', sweep: sweep.path, out: sweep.out } satisfies SweepJob,
        opts: { jobId: parent },
        children: runs.map((run) => ({
          name: 'run',
          queueName: options.queue,
          data: { kind: 'run', sweep: sweep.path, out: sweep.out, index: run.index, id: run.id, ...(settings.backend ? { backend: settings.backend } : {}) } satisfies SweepJob,
          opts: { jobId: run.id, attempts: options.attempts, backoff: { type: 'exponential', delay: options.backoff }, ignoreDependencyOnFailure: true, removeOnComplete: false, removeOnFail: false },
        })),
      }));
      io.out(`queued ${runs.length} runs on ${settings.redis} (queue ${options.queue}) and the aggregation job ${parent}; start workers with: flatsparse worker --redis ${settings.redis}${options.queue === 'flatsparse' ? '' : ` --queue ${options.queue}`}`);
      return 0;
    } finally {
      await flow.close();
      await queue.close();
    }
  },

  /** The state of each run's job (job id = run id) on the queue. */
  async liveStates(sweep: Sweep, settings: SubmitSettings): Promise<ReadonlyMap<number, LiveState>> {
    const states = new Map<number, LiveState>();
    if (settings.redis === undefined) return states;
    const queue = new Queue(sweep.file.bullmq?.queue ?? 'flatsparse', { connection: connectionOf(settings) });
    try {
      for (const run of sweep.runs) {
        const job = await reachable(settings, queue.getJob(run.id));
        if (job === undefined) continue;
        const state = await job.getState();
        const live: LiveState | undefined = state === 'active' ? 'running' : state === 'failed' ? 'failed' : state === 'completed' ? 'done' : state === 'unknown' ? undefined : 'pending';
        if (live !== undefined) states.set(run.index, live);
      }
    } finally {
      await queue.close();
    }
    return states;
  },
};
