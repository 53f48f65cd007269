import { ConfigError } from '@flatsparse/plugin-api';
import { ARMS, type Arm, type Ramps } from '../reproduce/arms.js';
import { TASKS, type Task } from '../reproduce/tasks.js';
import type { z } from 'zod';
import type { presetSchema } from './sweep-schema.js';

/** The axes the reproduce preset reads (the others patch its configs as in any sweep). */
export const REPRODUCE_AXES: readonly string[] = ['task', 'arm', 'seed'];

/** An arm's name as written in sweep files, directories and --arms ('M1 input' -> 'm1-input'). */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** The methods' ramps in steps: `ramp` steps, or that fraction of the run when below 1; none without it. */
export function rampsFor(ramp: number | undefined, steps: number): Ramps | undefined {
  if (ramp === undefined) return undefined;
  const length = Math.max(1, Math.round(ramp < 1 ? ramp * steps : ramp));
  return { mixSteps: length, upliftSteps: length };
}

/** The reproduction task named `name` (E_CONFIG_INVALID at `path` naming the tasks otherwise). */
export function taskNamed(name: string, path: string): Task {
  const task = TASKS.find((t) => t.name === name);
  if (!task) throw new ConfigError(path, `unknown task '${name}'.`, { received: name, expected: `a comma-separated list of ${TASKS.map((t) => t.name).join(', ')}`, fix: 'use the listed task names.' });
  return task;
}

/** The reproduction arm whose slug is `name`'s (E_CONFIG_INVALID at `path` naming the arms otherwise). */
export function armNamed(name: string, path: string): Arm {
  const arm = ARMS.find((a) => slug(a.name) === slug(name));
  if (!arm) throw new ConfigError(path, `unknown arm '${name}'.`, { received: name, expected: `a comma-separated list of ${ARMS.map((a) => slug(a.name)).join(', ')}`, fix: 'use the listed arm names (vanilla always runs).' });
  return arm;
}

/**
 * The config `flatsparse reproduce` trains for a task, arm and seed (labels of the axes task, arm and
 * seed): the task's base config for the seed and recipe, the arm applied with the ramps, named
 * `<task>-<arm>-s<seed>`, and `steps` steps when the preset sets them.
 */
export function reproduceConfig(preset: z.output<typeof presetSchema>, labels: Readonly<Record<string, string>>, at: string): Record<string, unknown> {
  if (labels['task'] === undefined || labels['arm'] === undefined) {
    throw new ConfigError(at, "preset 'reproduce' needs the axes task and arm (and seed, default [0]).", { received: Object.keys(labels), expected: 'axes: { task: [vit-mnist, ...], arm: [vanilla, ...], seed: [0, 1, 2] }', fix: 'add the missing axes (packages/cli/sweeps/reproduce.yaml lists every task and arm).' });
  }
  const task = taskNamed(labels['task'], `${at}.task`);
  const arm = armNamed(labels['arm'], `${at}.arm`);
  const seed = Number(labels['seed'] ?? 0);
  if (!Number.isInteger(seed) || seed < 0) throw new ConfigError(`${at}.seed`, 'a seed is a whole number >= 0.', { received: labels['seed'], fix: 'write seeds as numbers, for example [0, 1, 2].' });
  const base = task.config(seed, { quick: preset.quick, recipe: preset.recipe });
  const steps = preset.steps ?? (base.train?.steps as number);
  const config = { ...arm.apply(base, rampsFor(preset.ramp, steps)), name: `${task.name}-${slug(arm.name)}-s${seed}`, backend: 'auto' } as Record<string, unknown>;
  return preset.steps === undefined ? config : { ...config, train: { ...(config['train'] as object), steps: preset.steps } };
}
