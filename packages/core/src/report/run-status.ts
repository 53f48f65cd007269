/** Where a run stands: 'running' (or killed while running), 'completed', 'interrupted' (stopped by a signal, resumable), 'failed'. */
export type RunState = 'running' | 'completed' | 'interrupted' | 'failed';

/** The status of a run as run.json and the report show it. */
export interface RunStatus {
  readonly state: RunState;
  /** Steps completed when the run stopped or completed. */
  readonly completedSteps?: number;
  /** How to continue the run (for example the command line), shown when it was interrupted or failed. */
  readonly resume?: string;
}
