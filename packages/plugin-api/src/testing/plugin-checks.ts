import * as tf from '@tensorflow/tfjs-core';
import { PluginError, PluginLeakError } from '../errors.js';
import { EVENT_NAMES, STEP_EVENTS, type EventName } from '../events.js';
import type { Hook, Plugin } from '../plugin.js';
import { PluginHost } from '../plugin-host.js';
import { validatePlugin } from '../plugin-validation.js';
import { countTensors } from '../tensor-leaks.js';
import { checkDispatchOrder, dispatchLog, payloadFixtures, probePlugins, recordingPlugin, type DispatchLog, type PayloadFixtures } from './plugin-harness.js';
import type { PluginCheck, PluginConformanceOptions } from './plugin-types.js';

type Outcome = { passed: boolean; detail: string };
const STEPS = 3;

/** The plugin object passes validatePlugin (shape, npm name, semver version, API range of this core). */
export function validationCheck(factory: () => Plugin): PluginCheck {
  return { name: 'validates', run: async () => ({ passed: true, detail: `'${validatePlugin(factory()).name}' is a valid plugin` }) };
}

/**
 * Runs a whole synthetic run: modelBuilt, STEPS training steps (afterForward and the loss terms
 * inside tf.tidy as in the gradient tape; projections after backward), evaluation and end, then
 * disposes the host and the fixtures. Returns the tensor counts after each step and at the end.
 */
async function runLifecycle(plugins: readonly Plugin[], options: PluginConformanceOptions, log: DispatchLog = dispatchLog()): Promise<{ baseline: number; perStep: number[]; final: number }> {
  const baseline = countTensors();
  const fx = payloadFixtures(options.model);
  const perStep: number[] = [];
  try {
    const host = await PluginHost.create(plugins);
    const emit = <E extends EventName>(event: E, step: number): void => {
      log.emission++;
      host.emitSync(event, fx.payload(event, step));
    };
    try {
      log.emission++;
      await host.emit('modelBuilt', fx.payload('modelBuilt', 0));
      for (let step = 1; step <= STEPS; step++) {
        // The step's events in EVENTS order, with what the trainer does around them: the loss terms
        // next to 'afterForward' inside a tidy (as in the gradient tape), projections before 'afterStep'.
        for (const event of STEP_EVENTS) {
          if (event === 'afterForward') {
            tf.tidy(() => {
              emit(event, step);
              host.computeLossTerms({ step, model: fx.model, captures: fx.captures.forwardCaptures });
            });
            continue;
          }
          if (event === 'afterStep') host.project(fx.model, step);
          emit(event, step);
        }
        perStep.push(countTensors());
      }
      log.emission++;
      await host.emit('evaluation', fx.payload('evaluation', STEPS));
      log.emission++;
      await host.emit('end', fx.payload('end', STEPS));
    } finally {
      await host.dispose();
    }
  } finally {
    fx.dispose();
  }
  return { baseline, perStep, final: countTensors() };
}

/** Hooks run after a probe ordered before the plugin and before a probe ordered after it, bucket by bucket. */
export function hookOrderCheck(factory: () => Plugin, options: PluginConformanceOptions): PluginCheck {
  return {
    name: 'hook order',
    run: async (): Promise<Outcome> => {
      const plugin = factory();
      const log = dispatchLog();
      const companions = options.companions?.() ?? [];
      await runLifecycle([...probePlugins('before', plugin.name, log), recordingPlugin(plugin, log), ...probePlugins('after', plugin.name, log), ...companions], options, log);
      const problems = checkDispatchOrder(log.entries);
      const declared = Object.keys(plugin.hooks ?? {}) as EventName[];
      const silent = declared.filter((e) => !log.entries.some((x) => x.event === e && x.role === 'plugin'));
      if (silent.length) problems.push(`declared hooks never ran: ${silent.join(', ')}`);
      const ran = [...new Set(log.entries.filter((x) => x.role === 'plugin').map((x) => `${x.event}/${x.bucket}`))];
      return { passed: problems.length === 0, detail: problems.length ? problems.join('; ') : `plugin listeners ran in place: ${ran.join(', ') || 'none (no hooks)'}` };
    },
  };
}

/** A hook that throws is reported as a PluginError naming the plugin, the event and the step; so is a failing setup. */
export function errorAttributionCheck(factory: () => Plugin, options: PluginConformanceOptions): PluginCheck {
  return {
    name: 'error attribution',
    run: async (): Promise<Outcome> => {
      const plugin = factory();
      const event = EVENT_NAMES.find((e) => plugin.hooks?.[e] !== undefined) ?? 'afterStep';
      const injected = new Error('conformance: injected failure');
      const original = plugin.hooks?.[event] as Hook<EventName> | undefined;
      const order = original === undefined || typeof original === 'function' ? 'normal' : (original.order ?? 'normal');
      const throwing: Plugin = { ...plugin, hooks: { ...plugin.hooks, [event]: { handler: () => { throw injected; }, order } } };
      const problems: string[] = [];
      const fx: PayloadFixtures = payloadFixtures(options.model);
      try {
        const host = await PluginHost.create([throwing, ...(options.companions?.() ?? [])]);
        try {
          if (event !== 'modelBuilt') await host.emit('modelBuilt', fx.payload('modelBuilt', 0));
          const err = await host.emit(event, fx.payload(event, 7)).then(() => undefined, (e: unknown) => e);
          problems.push(...attributionProblems(err, plugin.name, event, 7, injected));
        } finally {
          await host.dispose();
        }
      } finally {
        fx.dispose();
      }
      const failingSetup: Plugin = { ...factory(), setup: () => { throw injected; } };
      const setupErr = await PluginHost.create([failingSetup, ...(options.companions?.() ?? [])]).then(async (h) => void (await h.dispose()), (e: unknown) => e);
      problems.push(...attributionProblems(setupErr, plugin.name, 'setup', undefined, injected));
      return { passed: problems.length === 0, detail: problems.length ? problems.join('; ') : `failures in '${event}' (step 7) and in 'setup' were attributed to '${plugin.name}'` };
    },
  };
}

function attributionProblems(err: unknown, plugin: string, event: string, step: number | undefined, cause: Error): string[] {
  if (!(err instanceof PluginError)) return [`a failure in '${event}' surfaced as ${err === undefined ? 'no error at all' : String(err)}, not as a PluginError`];
  const problems: string[] = [];
  if (err.plugin !== plugin) problems.push(`'${event}' failure names plugin '${err.plugin}', expected '${plugin}'`);
  if (err.event !== event) problems.push(`failure names event '${err.event}', expected '${event}'`);
  if (err.step !== step) problems.push(`'${event}' failure names step ${err.step}, expected ${step}`);
  if (err.cause !== cause) problems.push(`'${event}' failure lost its cause`);
  return problems;
}

/** No tensor growth from one step to the next, and the count back at baseline after the host and fixtures are disposed. */
export function lifecycleLeakCheck(factory: () => Plugin, options: PluginConformanceOptions): PluginCheck {
  return {
    name: 'no tensor leaks over a run',
    run: async (): Promise<Outcome> => {
      let lifecycle: Awaited<ReturnType<typeof runLifecycle>>;
      try {
        lifecycle = await runLifecycle([factory(), ...(options.companions?.() ?? [])], options);
      } catch (err) {
        // The host's own leak guard (E_PLUGIN_LEAK) stops a leaking run before the kit counts.
        if (err instanceof PluginLeakError) return { passed: false, detail: err.message };
        throw err;
      }
      const { baseline, perStep, final } = lifecycle;
      const growth = perStep[STEPS - 1]! - perStep[STEPS - 2]!;
      const problems: string[] = [];
      if (growth > 0) problems.push(`the step hooks leak ${growth} tensor(s) per step (counts after steps 1-${STEPS}: ${perStep.join(', ')})`);
      if (final !== baseline) problems.push(`${final - baseline} tensor(s) left after the host was disposed (register a dispose step with ctx.onDispose)`);
      return { passed: problems.length === 0, detail: problems.length ? problems.join('; ') : `tensor count stable over steps and back to ${baseline} after dispose` };
    },
  };
}
