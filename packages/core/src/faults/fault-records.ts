import { FlatsparseError } from '@flatsparse/plugin-api';

/** Something that went wrong without stopping the run (for example a metric disabled after a fault). */
export interface RunWarning {
  /** Stable code of the fault (for example 'E_PLUGIN_NON_FINITE'). */
  readonly code: string;
  /** The plugin at fault, when a plugin was. */
  readonly plugin?: string;
  /** Where it happened (for example 'metric compute'), when known. */
  readonly event?: string;
  /** The step it happened at, when known. */
  readonly step?: number;
  /** The full message of the fault. */
  readonly message: string;
  /** What the run did about it (for example "metric 'energy' disabled for the rest of the run"). */
  readonly action: string;
}

/** Why a run stopped with an error, as written to `failure.json` in the run directory. */
export interface RunFailure {
  /** The error's stable code (its name for errors that are not flatsparse errors). */
  readonly code: string;
  /** The error's message. */
  readonly message: string;
  /** The plugin at fault, when a plugin was. */
  readonly plugin?: string;
  /** The event or contribution that failed, when known. */
  readonly event?: string;
  /** The step it happened at, when known. */
  readonly step?: number;
  /** Steps completed when the run stopped. */
  readonly completedSteps: number;
  /** The newest checkpoint on disk (resume from it), if any was written. */
  readonly lastCheckpoint?: string;
  /** ISO time of the failure. */
  readonly time: string;
}

/** Describes an error that stopped a run: its code, message and, where the error carries them, plugin, event and step. */
export function describeFailure(error: unknown, progress: { readonly completedSteps: number; readonly lastCheckpoint?: string }): RunFailure {
  const fields = (error ?? {}) as { plugin?: unknown; event?: unknown; step?: unknown };
  const code = error instanceof FlatsparseError ? error.code : error instanceof Error ? error.name : 'unknown';
  return {
    code,
    message: error instanceof Error ? error.message : String(error),
    ...(typeof fields.plugin === 'string' ? { plugin: fields.plugin } : {}),
    ...(typeof fields.event === 'string' ? { event: fields.event } : {}),
    ...(typeof fields.step === 'number' ? { step: fields.step } : {}),
    completedSteps: progress.completedSteps,
    ...(progress.lastCheckpoint === undefined ? {} : { lastCheckpoint: progress.lastCheckpoint }),
    time: new Date().toISOString(),
  };
}
