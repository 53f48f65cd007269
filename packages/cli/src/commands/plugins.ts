import { builtinPlugins } from '@flatsparse/plugins';
import type { Io } from '../io.js';
import { formatTable } from '../table.js';

/** Where a config names a built-in of each kind. */
const SECTION: Readonly<Record<string, string>> = { activation: 'activation', metric: 'metrics', regularizer: 'plugins', estimator: 'estimators', 'update-method': 'plugins' };

/**
 * `flatsparse plugins`: every built-in plugin, its kind, the config key it goes under, the name of
 * what it contributes (activation, metric, estimator) and a one-line description.
 */
export function pluginsCommand(io: Io): number {
  const rows = [...builtinPlugins]
    .sort(([a, x], [b, y]) => x.kind.localeCompare(y.kind) || a.localeCompare(b))
    .map(([name, entry]) => [name, entry.kind, SECTION[entry.kind] ?? 'plugins', entry.contribution, entry.description]);
  io.out(formatTable(['plugin', 'kind', 'config key', 'contributes', 'description'], rows));
  io.out("\nThird-party plugins: list their package or file under 'plugins:' (docs/writing-plugins.md); 'flatsparse new-plugin' scaffolds one.");
  return 0;
}
