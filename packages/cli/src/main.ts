import { FlatsparseError } from '@flatsparse/core';
import { parseArgs } from 'node:util';
import { backendsCommand } from './commands/backends.js';
import { conformanceCommand } from './commands/conformance.js';
import { processIo, type Io } from './io.js';

const USAGE = `flatsparse: activation sparsity and flat minima in Transformers

Usage: flatsparse <command> [options]

Commands:
  demo                     the main job (until the training pipeline lands: the backend conformance suite on the default backend)
  backends                 list every backend, whether it is available here, and how to fix it if not
  conformance [--backend auto|wasm|webgpu|cuda] [--filter text] [--seed n]
                           run the backend conformance suite and print one row per case
  help                     this text`;

const COMMANDS = ['demo', 'backends', 'conformance', 'help'];

/** Runs the CLI with arguments (without 'node' and the script); returns the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'backends':
        return await backendsCommand(io);
      case 'conformance': {
        const { values } = parseArgs({ args: rest, options: { backend: { type: 'string', default: 'auto' }, filter: { type: 'string' }, seed: { type: 'string' } }, strict: true });
        return await conformanceCommand(io, { backend: values.backend!, filter: values.filter, seed: values.seed === undefined ? undefined : Number(values.seed) });
      }
      case 'demo':
        io.out('flatsparse demo: backend conformance suite on the embedded default backend');
        return await conformanceCommand(io, { backend: 'auto' });
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`flatsparse: unknown command '${command}'. Known commands: ${COMMANDS.join(', ')}. Run 'flatsparse help'.`);
        return 2;
    }
  } catch (err) {
    if (err instanceof FlatsparseError) {
      io.err(`flatsparse: ${err.message}`);
      return 2;
    }
    if (err instanceof TypeError && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      io.err(`flatsparse: ${err.message}. Run 'flatsparse help' for the options of '${command}'.`);
      return 2;
    }
    throw err;
  }
}
