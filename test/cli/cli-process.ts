import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, ensureBuilt } from './workspace-build.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The packages the built CLI loads, in build order (each build reads the declarations of those before it). */
const PACKAGES = ['plugin-api', 'core', 'data', 'plugins', 'backend-wasm', 'backend-native', 'backend-webgpu', 'backend-cuda', 'cli'];

/** Builds the CLI and what it loads where dist is missing or stale (as `pnpm build` does); returns bin/flatsparse.js. */
export async function builtCli(): Promise<string> {
  for (const p of PACKAGES) await ensureBuilt(join(ROOT, 'packages', p));
  return join(ROOT, 'packages', 'cli', 'bin', 'flatsparse.js');
}

/** A running `node bin/flatsparse.js ...`, as a user starts it, with its output so far. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves once the output matches `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
  /** Resolves when the process has ended: its exit code, or the signal that ended it. */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

/** Starts the built CLI in `cwd`. */
export function startCli(bin: string, args: readonly string[], cwd: string): CliProcess {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (d: Buffer) => {
    output += d.toString();
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(output)) w.resolve();
      else waiters.push(w);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output }));
  });
  return {
    child,
    output: () => output,
    waitFor: (pattern) =>
      pattern.test(output)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiters.push({ pattern, resolve })),
            ended.then(({ output: o }) => {
              if (!pattern.test(o)) throw new Error(`the CLI ended before printing ${pattern}:\n${o}`);
            }),
          ]),
    ended,
  };
}
