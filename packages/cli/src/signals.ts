import type { Io } from './io.js';

/** Exit status of a process ended by a signal, as shells report it: 128 + its number. */
export const SIGNAL_EXIT: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

/** What `interruptOn` gives a command: the signal to pass to the run, the one received, and cleanup. */
export interface Interrupt {
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  received(): 'SIGINT' | 'SIGTERM' | undefined;
  /** Removes the handlers (Node's default, exiting at once, applies again). */
  dispose(): void;
}

/**
 * Turns SIGINT (Ctrl-C) and SIGTERM (a scheduler's preemption notice) into a graceful stop: the first
 * one aborts `signal`, so the run finishes its current step, writes a checkpoint and stops; a second
 * one exits at once with 130 (SIGINT) or 143 (SIGTERM).
 */
export function interruptOn(io: Io): Interrupt {
  const controller = new AbortController();
  let first: 'SIGINT' | 'SIGTERM' | undefined;
  const handler = (name: 'SIGINT' | 'SIGTERM') => {
    if (first !== undefined) {
      io.err(`\nflatsparse: ${name} again: exiting at once (the last checkpoint written stays resumable).`);
      process.exit(SIGNAL_EXIT[name]);
    }
    first = name;
    io.err(`\nflatsparse: ${name}: finishing the current step and writing a checkpoint (${name === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again exits at once).`);
    controller.abort();
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    received: () => first,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
