import { PluginNonFiniteError } from '../errors.js';

/**
 * Throws E_PLUGIN_NON_FINITE naming the plugin, the event, the step and the first figure that is NaN
 * or infinite (for estimator runners: call it on an estimate's figures after read-back).
 */
export function checkFiniteFigures(plugin: string, event: string, step: number | undefined, figures: Readonly<Record<string, number>>, fix?: string): void {
  for (const [name, value] of Object.entries(figures)) {
    if (!Number.isFinite(value)) throw new PluginNonFiniteError(plugin, event, step, `figure '${name}'`, value, fix);
  }
}
