import { PluginError } from '@flatsparse/plugin-api/host';
import type { Plugin } from '@flatsparse/plugin-api';

/** Each plugin's `saveState()` by plugin name, checked to be JSON-serialisable (a deep copy). */
export function savePluginStates(plugins: readonly Plugin[], step: number): Record<string, unknown> {
  const states: Record<string, unknown> = {};
  for (const plugin of plugins) {
    if (!plugin.saveState) continue;
    try {
      states[plugin.name] = JSON.parse(JSON.stringify(plugin.saveState() ?? null));
    } catch (err) {
      throw new PluginError(plugin.name, 'saveState', step, err, 'make saveState() return JSON-serialisable data (plain objects, arrays, numbers, strings).');
    }
  }
  return states;
}

/** Calls `loadState` of every plugin that has a saved state; plugins without one are left as they are. */
export function loadPluginStates(plugins: readonly Plugin[], states: Readonly<Record<string, unknown>>, step: number): void {
  for (const plugin of plugins) {
    if (!plugin.loadState || !(plugin.name in states)) continue;
    try {
      plugin.loadState(states[plugin.name]);
    } catch (err) {
      throw new PluginError(plugin.name, 'loadState', step, err);
    }
  }
}
