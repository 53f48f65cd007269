import { z } from 'zod';
import { ConfigError, type Schedule, parseOptions } from '@flatsparse/plugin-api';

const lr = z.number().positive().finite();
const steps = z.number().int().nonnegative();

/** The one schema of learning-rate schedule options (code, and a config file's `train.lr`). */
export const lrScheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), lr }).strict(),
  z.object({ kind: z.literal('linearWarmup'), lr, warmupSteps: steps }).strict(),
  z
    .object({
      kind: z.literal('cosine'),
      lr,
      warmupSteps: steps.default(0),
      totalSteps: z.number().int().positive().optional(),
      finalFraction: z.number().min(0).max(1).default(0),
    })
    .strict(),
  z
    .object({
      kind: z.literal('inverseSqrt'),
      lr,
      warmupSteps: z.number().int().positive(),
      warmupShape: z.enum(['linear', 'constant']).default('linear'),
    })
    .strict(),
]);

/**
 * A learning-rate schedule, as options. Steps are 0-based (the first optimisation step is step 0);
 * every warm-up is linear in (step + 1) / warmupSteps, so step 0 already has a nonzero rate.
 * - constant: lr.
 * - linearWarmup: lr * min(1, (step + 1) / warmupSteps).
 * - cosine: warm-up as above, then lr * (f + (1 - f) * (1 + cos(pi * q)) / 2) with
 *   q = clamp((step - warmupSteps) / (totalSteps - warmupSteps), 0, 1) and f = finalFraction.
 * - inverseSqrt (T5): lr * min(w(step), sqrt(warmupSteps / (step + 1))), where w is the linear warm-up
 *   or 1 (warmupShape 'constant', as in T5: constant for warmupSteps, then 1/sqrt decay).
 */
export type LrScheduleOptions = z.input<typeof lrScheduleSchema>;

/** Builds a learning-rate schedule (step -> lr) from validated options; `defaultTotalSteps` fills cosine's totalSteps. */
export function lrSchedule(options: LrScheduleOptions, defaultTotalSteps?: number): Schedule {
  const o = parseOptions(lrScheduleSchema, options, { path: 'lr', fix: 'see LrScheduleOptions for the schedule kinds and their options.' });
  switch (o.kind) {
    case 'constant':
      return () => o.lr;
    case 'linearWarmup':
      return (step) => o.lr * warmup(step, o.warmupSteps);
    case 'cosine': {
      const total = o.totalSteps ?? defaultTotalSteps;
      if (total === undefined || total <= o.warmupSteps) {
        throw new ConfigError('lr.totalSteps', 'the cosine schedule needs more total steps than warm-up steps.', {
          received: total,
          expected: `an integer greater than warmupSteps (${o.warmupSteps})`,
          fix: 'set lr.totalSteps (or the trainer steps) above lr.warmupSteps.',
        });
      }
      const span = total - o.warmupSteps;
      return (step) => {
        if (step < o.warmupSteps) return o.lr * warmup(step, o.warmupSteps);
        const q = Math.min(Math.max((step - o.warmupSteps) / span, 0), 1);
        return o.lr * (o.finalFraction + (1 - o.finalFraction) * 0.5 * (1 + Math.cos(Math.PI * q)));
      };
    }
    case 'inverseSqrt':
      return (step) => {
        const ramp = o.warmupShape === 'linear' ? warmup(step, o.warmupSteps) : 1;
        return o.lr * Math.min(ramp, Math.sqrt(o.warmupSteps / (step + 1)));
      };
  }
}

/** Linear warm-up factor min(1, (step + 1) / warmupSteps); 1 without warm-up. */
function warmup(step: number, warmupSteps: number): number {
  return warmupSteps > 0 ? Math.min(1, (step + 1) / warmupSteps) : 1;
}

/**
 * The schedule a trainer follows: a constant, a schedule function as it is, or schedule options built
 * once (`lrSchedule`, cosine's totalSteps defaulting to the run's steps).
 */
export function scheduleOf(lr: number | Schedule | LrScheduleOptions, steps: number): Schedule {
  if (typeof lr === 'number') return () => lr;
  if (typeof lr === 'function') return lr;
  return lrSchedule(lr, steps);
}
