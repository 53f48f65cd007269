import { fileURLToPath } from 'node:url';
import type { Io } from '../io.js';
import type { PlannedRun } from './expand.js';
import type { Sweep } from './load-sweep.js';

/** The engines a sweep runs on. */
export const ENGINES = ['local', 'slurm', 'bullmq'] as const;
/** One of ENGINES. */
export type EngineName = (typeof ENGINES)[number];

/** What the scheduler knows of a run that its directory cannot tell: queued, running, or failed there. */
export type LiveState = 'pending' | 'running' | 'failed' | 'done';

/** Settings of a submission, from the sweep file and the command line. */
export interface SubmitSettings {
  readonly backend?: string;
  /** local: runs at once. */
  readonly jobs?: number;
  /** slurm: sbatch options. */
  readonly partition?: string;
  readonly gres?: string;
  readonly time?: string;
  readonly throttle?: number;
  readonly sbatchOptions?: readonly string[];
  /** bullmq: the Redis URL. */
  readonly redis?: string;
}

/**
 * An engine runs the runs of a sweep somewhere, each as `flatsparse sweep run-task <sweep> <index>`,
 * which writes the run directory and its result file (the same under every engine).
 */
export interface SweepEngine {
  readonly name: EngineName;
  /** Starts `runs` (none of them done or running); returns the exit code of the command. */
  submit(io: Io, sweep: Sweep, runs: readonly PlannedRun[], settings: SubmitSettings): Promise<number>;
  /** The scheduler's view of the sweep's runs by index (absent where it knows nothing). */
  liveStates?(sweep: Sweep, settings: SubmitSettings): Promise<ReadonlyMap<number, LiveState>>;
}

/** The CLI's launcher, packages/cli/bin/flatsparse.js (this file is in src/sweep/ or dist/sweep/). */
export const FLATSPARSE_BIN = fileURLToPath(new URL('../../bin/flatsparse.js', import.meta.url));

/** The arguments of `flatsparse sweep run-task` for a run (after `node bin/flatsparse.js`). */
export function taskArgs(sweep: Sweep, run: PlannedRun | '$SLURM_ARRAY_TASK_ID', backend?: string): string[] {
  const index = typeof run === 'string' ? run : String(run.index);
  return ['sweep', 'run-task', sweep.path, index, '--out', sweep.out, ...(backend ? ['--backend', backend] : []), ...(typeof run === 'string' ? [] : ['--expect-id', run.id])];
}
