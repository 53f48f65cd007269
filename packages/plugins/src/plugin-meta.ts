import type { Plugin, PluginContributions } from '@flatsparse/plugin-api';

/** Version of every built-in plugin in this package. */
export const BUILTIN_PLUGIN_VERSION = '0.2.0';

/** Range of core API versions the built-in plugins support. */
export const BUILTIN_API_RANGE = '^0.7.2';

/** Builds the plain plugin object of a built-in: name, versions and what it contributes (no hooks). */
export function builtinPlugin(name: string, contributes: PluginContributions): Plugin {
  return { name, version: BUILTIN_PLUGIN_VERSION, apiVersion: BUILTIN_API_RANGE, contributes };
}
