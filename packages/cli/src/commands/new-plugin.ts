import { ConfigError } from '@flatsparse/plugin-api';
import { relative } from 'node:path';
import type { Io } from '../io.js';
import { yamlName } from '../scaffold/package-files.js';
import { scaffoldPlugin } from '../scaffold/scaffold.js';
import { PLUGIN_KINDS } from '../scaffold/types.js';

/** Arguments of `flatsparse new-plugin`. */
export interface NewPluginArgs {
  /** npm package name of the plugin. */
  readonly name: string;
  /** activation | metric | estimator | regularizer. */
  readonly kind: string | undefined;
  /** Directory to create (default ./<name without scope>). */
  readonly dir: string | undefined;
}

/**
 * `flatsparse new-plugin <name> --kind k [--dir path]`: scaffolds a plugin package that builds and
 * passes its tests (the core conformance suite included) as generated, and prints the next steps.
 */
export async function newPluginCommand(io: Io, args: NewPluginArgs): Promise<number> {
  if (args.kind === undefined) {
    throw new ConfigError('--kind', 'is required.', { expected: PLUGIN_KINDS.join(' | '), fix: `flatsparse new-plugin ${args.name} --kind activation` });
  }
  const result = await scaffoldPlugin({ name: args.name, kind: args.kind, dir: args.dir });
  const where = relative(process.cwd(), result.dir) || '.';
  const options = result.template.exampleOptions;
  const use =
    result.kind === 'activation' ? [`activation: ${result.contribution}`]
    : result.kind === 'metric' ? [`metrics: [activation-sparsity, ${result.contribution}]`]
    : result.kind === 'estimator' ? [`estimators: [{ name: ${result.contribution}, every: 100 }]`]
    : [];
  io.out(`Created ${args.name} (${result.kind} '${result.contribution}') in ${where}:`);
  for (const file of result.files) io.out(`  ${file}`);
  io.out('');
  io.out('Next steps:');
  io.out(`  cd ${where}`);
  io.out('  npm install       # or pnpm install');
  io.out('  npm test          # the plugin conformance suite and the numerical tests, on the wasm backend');
  io.out('  npm run build     # src/ -> dist/, what npm publish ships');
  io.out('');
  io.out('Use it from a pipeline config once installed next to it:');
  io.out('  plugins:');
  io.out(`    - { name: ${yamlName(args.name)}, options: ${options} }`);
  for (const line of use) io.out(`  ${line}`);
  io.out('See docs/writing-plugins.md for the module contract and publishing.');
  return 0;
}
