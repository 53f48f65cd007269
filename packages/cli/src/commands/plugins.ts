import { builtinModelPlugins } from '@flatsparse/core';
import { builtinPlugins } from '@flatsparse/plugins';
import type { Io } from '../io.js';
import { formatTable } from '../table.js';

/** Where a config names a built-in of each kind. */
const SECTION: Readonly<Record<string, string>> = { activation: 'activation', metric: 'metrics', regularizer: 'plugins', estimator: 'estimators', 'update-method': 'plugins' };

/**
 * `flatsparse plugins`: every built-in plugin (model architectures included), its kind, the config key it goes under and a one-line
 * description. A built-in has one name: the plugin's, its contribution's and its figures' prefix.
 */
export function pluginsCommand(io: Io): number {
  const rows = [...builtinPlugins]
    .sort(([a, x], [b, y]) => x.kind.localeCompare(y.kind) || a.localeCompare(b))
    .map(([name, entry]) => [name, entry.kind, SECTION[entry.kind] ?? 'plugins', entry.description]);
  // The built-in model plugins (core's models folder): named by `model.kind`, never listed under 'plugins'.
  for (const plugin of builtinModelPlugins()) {
    for (const m of plugin.contributes?.models ?? []) rows.push([m.name, 'model', 'model.kind', `Model architecture for ${m.dataKinds.join(' or ')} data (see the card in core's models/${m.name}/).`]);
  }
  io.out(formatTable(['plugin', 'kind', 'config key', 'description'], rows));
  io.out("\nEach goes by its one name in configs, as its contribution's name and as the prefix of its figures ('activation-sparsity.value').");
  io.out("\nThird-party plugins: list their package or file under 'plugins:' (docs/writing-plugins.md); 'flatsparse new-plugin' scaffolds one.");
  return 0;
}
