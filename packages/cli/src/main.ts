import { ConfigError, FlatsparseError } from '@flatsparse/plugin-api';
import { parseArgs } from 'node:util';
import { backendsCommand } from './commands/backends.js';
import { compareCommand } from './commands/compare.js';
import { conformanceCommand } from './commands/conformance.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';
import { evalCommand } from './commands/eval.js';
import { flatnessCommand } from './commands/flatness.js';
import { newPluginCommand } from './commands/new-plugin.js';
import { pluginsCommand } from './commands/plugins.js';
import { reproduceCommand } from './commands/reproduce.js';
import { runCommand, type RunOverrides } from './commands/run.js';
import { sweepCommand } from './commands/sweep.js';
import { workerCommand } from './commands/worker.js';
import { processIo, type Io } from './io.js';

const USAGE = `flatsparse: activation sparsity and flat minima in Transformers

Usage: flatsparse <command> [options]

Commands:
  demo [--steps n] [--backend name] [--out dir]
                           the main job: a small ViT on MNIST on the default backend, with a table of
                           loss, accuracy and sparsities and an HTML report
  run <config.yaml|json> [--backend name] [--out dir] [--steps n] [--resume run-dir-or-checkpoint] [--overwrite] [--allow-changed] [--quiet]
                           train the pipeline a config file describes (examples in configs/). A directory
                           holding a run is only written to continue it (--resume, in place, from its newest
                           or a named checkpoint) or to replace it (--overwrite); Ctrl-C stops with a checkpoint
  reproduce [--quick] [--recipe authors|short] [--seeds n] [--steps n] [--tasks vit-mnist,gpt-moby-dick] [--arms a,b] [--ramp steps|fraction] [--jobs n] [--out dir] [--backend name] [--fresh]
                           vanilla ReLU vs each of the paper's methods vs all three (10 seeds for vanilla,
                           M3 and sparsified output, 3 for the others; --seeds n: n for every arm), with a
                           report judging the paper's claims by paired tests with Holm's correction
                           (--quick: a minute or two);
                           runs that already completed in --out are reused unless --fresh; --jobs: runs
                           trained at once (default: the cores, at most 8; 1 with --quick)
  sweep [plan|submit|resume|status|collect] <sweep.yaml> [--engine local|slurm|bullmq] [--jobs n] [--redis url]
        [--partition p] [--gres g] [--time t] [--throttle k] [--sbatch=--option]... [--backend name] [--out dir]
                           a grid of runs (arms, seeds, sizes, tasks, any config key) from a sweep file: plan
                           prints the runs; submit (the default) starts those not done (skips finished runs,
                           resumes checkpoints, reruns failures) on N local processes, a Slurm job array or
                           BullMQ workers; resume starts exactly the missing and failed ones; status; collect
                           builds the tables (CSV, JSON, HTML) from the finished runs (docs/sweeps.md)
  worker --redis url [--queue name] [--concurrency n] [--backend name]
                           a BullMQ worker: runs the sweep runs queued by 'sweep submit --engine bullmq', each
                           in a child process (one worker per GPU)
  eval <run-dir> [--split heldOut|train] [--weights file.safetensors] [--batches n] [--backend name]
                           metrics of a saved model on a data split, in evaluation mode
  compare <run-dir>... [--out compare.html] [--metrics loss,accuracy,metric,figure] [--band minmax|sd]
                           the curves of any runs together in one HTML page (offline, interactive): loss,
                           accuracy, each figure per layer, train and held-out; runs whose configs differ
                           only in the seed are one line (their mean) with a band (min..max, or mean ± sd)
  plugins                  list the built-in plugins: kind, config key, what they contribute
  backends                 list every backend, whether it is available here, and how to fix it if not
  doctor                   check every backend: available or not, why, and how to fix it (with the CUDA install guide)
  conformance [--backend auto|wasm|webgpu|cuda|tensorflow-cpu] [--filter text] [--seed n]
                           run the backend conformance suite and print one row per case
  flatness <run-dir> [--estimators a,b] [--checkpoint dir]... [--batch n] [--split heldOut|train] [--seed n] [--backend name]
                           flatness estimators (Hessian trace, eigenvalues, spectrum, sharpness) on the run's
                           saved checkpoints, with curves next to sparsity (flatness-checkpoints.html)
  new-plugin <name> --kind activation|metric|estimator|regularizer [--dir path]
                           scaffold a plugin package (TypeScript, tsc build, vitest with the plugin
                           conformance suite, README card) that builds and passes its tests as generated
  help                     this text`;

const COMMANDS = ['demo', 'run', 'reproduce', 'eval', 'compare', 'plugins', 'backends', 'doctor', 'conformance', 'flatness', 'new-plugin', 'sweep', 'worker', 'help'];

const RUN_OPTIONS = {
  backend: { type: 'string' },
  out: { type: 'string' },
  steps: { type: 'string' },
  resume: { type: 'string' },
  overwrite: { type: 'boolean' },
  'allow-changed': { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

const SWEEP_SUBCOMMANDS = ['plan', 'submit', 'resume', 'status', 'collect', 'run-task'];
const SWEEP_OPTIONS = {
  engine: { type: 'string' },
  jobs: { type: 'string' },
  redis: { type: 'string' },
  partition: { type: 'string' },
  gres: { type: 'string' },
  time: { type: 'string' },
  throttle: { type: 'string' },
  sbatch: { type: 'string', multiple: true },
  backend: { type: 'string' },
  out: { type: 'string' },
  'expect-id': { type: 'string' },
} as const;

/** Runs the CLI with arguments (without 'node' and the script); returns the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'demo': {
        const { values } = parseArgs({ args: rest, options: RUN_OPTIONS, strict: true });
        return await demoCommand(io, overrides(values));
      }
      case 'run': {
        const { values, positionals } = parseArgs({ args: rest, options: RUN_OPTIONS, strict: true, allowPositionals: true });
        if (positionals.length !== 1) {
          io.err(`flatsparse run: expected one config file, received ${positionals.length ? positionals.join(' ') : 'none'}. Example: flatsparse run configs/vit-mnist.yaml`);
          return 2;
        }
        return await runCommand(io, positionals[0]!, overrides(values));
      }
      case 'eval': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { split: { type: 'string' }, weights: { type: 'string' }, batches: { type: 'string' }, backend: { type: 'string' } },
          strict: true,
          allowPositionals: true,
        });
        if (positionals.length !== 1) {
          io.err(`flatsparse eval: expected one run directory, received ${positionals.length ? positionals.join(' ') : 'none'}. Example: flatsparse eval runs/demo-vit-mnist-relu-20261124-120000`);
          return 2;
        }
        if (values.split !== undefined && values.split !== 'heldOut' && values.split !== 'train') throw new ConfigError('--split', "must be 'heldOut' or 'train'.", { received: values.split, fix: 'pass --split heldOut or --split train.' });
        return await evalCommand(io, positionals[0]!, {
          split: values.split as 'heldOut' | 'train' | undefined,
          weights: values.weights,
          batches: values.batches === undefined ? undefined : integer('--batches', values.batches),
          backend: values.backend,
        });
      }
      case 'reproduce': {
        const { values } = parseArgs({
          args: rest,
          options: { quick: { type: 'boolean' }, fresh: { type: 'boolean' }, seeds: { type: 'string' }, steps: { type: 'string' }, tasks: { type: 'string' }, arms: { type: 'string' }, recipe: { type: 'string' }, ramp: { type: 'string' }, jobs: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' } },
          strict: true,
        });
        return await reproduceCommand(
          io,
          {
            quick: values.quick ?? false,
            fresh: values.fresh ?? false,
            seeds: values.seeds === undefined ? undefined : integer('--seeds', values.seeds),
            steps: values.steps === undefined ? undefined : integer('--steps', values.steps),
            tasks: values.tasks?.split(',').map((t) => t.trim()),
            arms: values.arms?.split(',').map((t) => t.trim()),
            recipe: values.recipe as 'authors' | 'short' | undefined,
            ramp: values.ramp === undefined ? undefined : positiveNumber('--ramp', values.ramp),
            jobs: values.jobs === undefined ? undefined : integer('--jobs', values.jobs),
            out: values.out,
            backend: values.backend,
          },
          argv,
        );
      }
      case 'sweep': {
        const { values, positionals } = parseArgs({ args: rest, options: SWEEP_OPTIONS, strict: true, allowPositionals: true });
        const [first, ...others] = positionals;
        const sub = first !== undefined && SWEEP_SUBCOMMANDS.includes(first) ? first : 'submit';
        const [file, ...extra] = sub === first ? others : positionals;
        if (file === undefined || (sub !== 'run-task' && extra.length > 0) || (sub === 'run-task' && extra.length !== 1)) {
          io.err(`flatsparse sweep ${sub}: expected ${sub === 'run-task' ? 'a sweep file and a run index' : 'one sweep file'}, received ${positionals.length ? positionals.join(' ') : 'none'}. Example: flatsparse sweep ${sub === 'run-task' ? 'run-task sweep.yaml 3' : `${sub} sweep.yaml`}`);
          return 2;
        }
        return await sweepCommand(io, sub, file, extra, {
          engine: values.engine,
          jobs: values.jobs === undefined ? undefined : integer('--jobs', values.jobs),
          redis: values.redis,
          partition: values.partition,
          gres: values.gres,
          time: values.time,
          throttle: values.throttle === undefined ? undefined : integer('--throttle', values.throttle),
          sbatchOptions: values.sbatch,
          backend: values.backend,
          out: values.out,
          expectId: values['expect-id'],
        }, argv);
      }
      case 'worker': {
        const { values } = parseArgs({ args: rest, options: { redis: { type: 'string' }, queue: { type: 'string' }, concurrency: { type: 'string' }, backend: { type: 'string' }, 'lock-ms': { type: 'string' } }, strict: true });
        if (values.redis === undefined) throw new ConfigError('--redis', 'the worker needs the Redis server the sweep was submitted to.', { fix: 'pass for example --redis redis://127.0.0.1:6379.' });
        return await workerCommand(io, {
          redis: values.redis,
          queue: values.queue,
          concurrency: values.concurrency === undefined ? undefined : integer('--concurrency', values.concurrency),
          backend: values.backend,
          lockMs: values['lock-ms'] === undefined ? undefined : integer('--lock-ms', values['lock-ms']),
        });
      }
      case 'compare': {
        const { values, positionals } = parseArgs({ args: rest, options: { out: { type: 'string' }, metrics: { type: 'string' }, band: { type: 'string' } }, strict: true, allowPositionals: true });
        if (positionals.length === 0) {
          io.err('flatsparse compare: expected one or more run directories, received none. Example: flatsparse compare runs/demo/vanilla/seed-* runs/demo/sparsified-output/seed-* --out compare.html');
          return 2;
        }
        return await compareCommand(io, positionals, { out: values.out, metrics: values.metrics?.split(',').map((m) => m.trim()).filter((m) => m !== ''), band: values.band }, argv);
      }
      case 'plugins':
        return pluginsCommand(io);
      case 'backends':
        return await backendsCommand(io);
      case 'doctor':
        return await doctorCommand(io);
      case 'conformance': {
        const { values } = parseArgs({ args: rest, options: { backend: { type: 'string', default: 'auto' }, filter: { type: 'string' }, seed: { type: 'string' } }, strict: true });
        return await conformanceCommand(io, { backend: values.backend!, filter: values.filter, seed: values.seed === undefined ? undefined : integer('--seed', values.seed) });
      }
      case 'flatness': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { estimators: { type: 'string' }, checkpoint: { type: 'string', multiple: true }, batch: { type: 'string' }, split: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' } },
          strict: true,
          allowPositionals: true,
        });
        if (positionals.length !== 1) {
          io.err(`flatsparse flatness: expected one run directory, received ${positionals.length ? positionals.join(' ') : 'none'}. Example: flatsparse flatness runs/vit-mnist-20261124-120000 --estimators hessian-trace`);
          return 2;
        }
        if (values.split !== undefined && values.split !== 'heldOut' && values.split !== 'train') throw new ConfigError('--split', "must be 'heldOut' or 'train'.", { received: values.split, fix: 'pass --split heldOut or --split train.' });
        return await flatnessCommand(io, positionals[0]!, {
          estimators: values.estimators?.split(',').map((e) => e.trim()).filter((e) => e !== ''),
          checkpoints: values.checkpoint,
          batchSize: values.batch === undefined ? undefined : integer('--batch', values.batch),
          split: values.split as 'heldOut' | 'train' | undefined,
          seed: values.seed === undefined ? undefined : seedOf(values.seed),
          backend: values.backend,
        });
      }
      case 'new-plugin': {
        const { values, positionals } = parseArgs({ args: rest, options: { kind: { type: 'string' }, dir: { type: 'string' } }, strict: true, allowPositionals: true });
        if (positionals.length !== 1) {
          io.err(`flatsparse new-plugin: expected one package name, received ${positionals.length ? positionals.join(' ') : 'none'}. Example: flatsparse new-plugin flatsparse-plugin-fatrelu --kind activation`);
          return 2;
        }
        return await newPluginCommand(io, { name: positionals[0]!, kind: values.kind, dir: values.dir });
      }
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

function overrides(values: { backend?: string; out?: string; steps?: string; resume?: string; overwrite?: boolean; 'allow-changed'?: boolean; quiet?: boolean }): RunOverrides {
  return {
    backend: values.backend,
    out: values.out,
    steps: values.steps === undefined ? undefined : integer('--steps', values.steps),
    resume: values.resume,
    overwrite: values.overwrite,
    allowChanged: values['allow-changed'],
    quiet: values.quiet,
  };
}

function seedOf(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError('--seed', 'must be a whole number >= 0.', { received: text, fix: 'pass for example --seed 0.' });
  return n;
}

function integer(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(flag, 'must be a positive integer.', { received: text, fix: `pass a whole number, for example ${flag} 100.` });
  return n;
}

function positiveNumber(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(flag, 'must be a positive number.', { received: text, fix: `pass a number of steps or a fraction below 1, for example ${flag} 0.1.` });
  return n;
}
