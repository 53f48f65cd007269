/** A value as a function of the optimisation step (weights of loss terms, ramps of methods). */
export type Schedule = (step: number) => number;

/** The same value at every step. */
export function constantSchedule(value: number): Schedule {
  return () => value;
}

/** min(step / steps, 1) * value: the ramps of the paper's fine-tuning variants. */
export function rampSchedule(steps: number, value = 1): Schedule {
  if (!(steps > 0)) return () => value;
  return (step) => Math.min(step / steps, 1) * value;
}
