import { constantSchedule, rampSchedule, type Schedule } from '@flatsparse/plugin-api';

/** One stage of a ProSparse schedule: it lasts `steps` steps and ends at `value`. */
export interface ProsparseStage {
  /** Length of the stage in optimisation steps (> 0). */
  readonly steps: number;
  /** Value reached at the end of the stage. */
  readonly value: number;
}

/** How a loss weight evolves over steps. */
export type WeightScheduleSpec =
  | { readonly kind: 'constant' }
  | { readonly kind: 'linear'; readonly steps: number }
  | { readonly kind: 'prosparse'; readonly stages: readonly ProsparseStage[] };

/**
 * ProSparse's multi-stage sine ramp. With T_0 = 0, T_i = steps_1 + ... + steps_i and value_0 = 0,
 * within stage i (T_{i-1} <= t < T_i):
 * s(t) = value_{i-1} + (value_i - value_{i-1}) sin(pi/2 (t - T_{i-1}) / (T_i - T_{i-1})),
 * and s(t) = value_last for t >= T_last (0 for t < 0 and for no stages).
 */
export function prosparseSchedule(stages: readonly ProsparseStage[]): Schedule {
  const ends: number[] = [];
  let end = 0;
  for (const stage of stages) ends.push((end += stage.steps));
  return (step) => {
    if (!(step > 0)) return 0;
    let start = 0;
    let from = 0;
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i]!;
      const stop = ends[i]!;
      if (step < stop) return from + (stage.value - from) * Math.sin((Math.PI / 2) * ((step - start) / (stop - start)));
      start = stop;
      from = stage.value;
    }
    return from;
  };
}

/**
 * The weight schedule of a loss term: weight * s(t), with s = 1 ('constant'), s = min(t / steps, 1)
 * ('linear': a ramp 0 -> weight) or s = prosparseSchedule(stages) ('prosparse': stage values are
 * multiplied by weight; use weight 1 to give them as absolute weights).
 */
export function weightSchedule(weight: number, spec: WeightScheduleSpec): Schedule {
  switch (spec.kind) {
    case 'constant':
      return constantSchedule(weight);
    case 'linear':
      return rampSchedule(spec.steps, weight);
    case 'prosparse': {
      const shape = prosparseSchedule(spec.stages);
      return (step) => weight * shape(step);
    }
  }
}
