import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Exit code and interleaved output of a child process. */
export interface ChildResult {
  readonly code: number | null;
  readonly output: string;
}

/** The environment of the test process without vitest's worker variables (children run their own vitest). */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|NODE_OPTIONS$|FORCE_COLOR$)/.test(k)) env[k] = v;
  return env;
}

/** Runs `node <args>` in `cwd`; resolves with the exit code and output (never rejects on a non-zero exit). */
export function runNode(args: readonly string[], cwd: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Path of TypeScript's command-line compiler. */
export const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

async function newest(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return 0;
  if (!info.isDirectory()) return /\.test\.ts$/.test(path) ? 0 : info.mtimeMs;
  const times = await Promise.all((await readdir(path)).map((entry) => newest(join(path, entry))));
  return Math.max(0, ...times);
}

/** Whether dist/index.js exists and is newer than every source file, package.json and tsconfig of the package. */
async function isBuilt(dir: string): Promise<boolean> {
  const built = (await stat(join(dir, 'dist', 'index.js')).catch(() => undefined))?.mtimeMs;
  if (built === undefined) return false;
  const sources = await Promise.all(['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((p) => newest(join(dir, p))));
  return built >= Math.max(...sources);
}

/**
 * Builds a workspace package (`tsc -p tsconfig.build.json`, as `pnpm build` does) when its dist is
 * missing or older than its sources, as the dist of a published package would be. One build per
 * package at a time across test processes (a lock directory in the OS temp folder); throws with
 * tsc's output if the build fails (and then writes nothing, so the next call tries again).
 */
export async function ensureBuilt(dir: string): Promise<void> {
  if (await isBuilt(dir)) return;
  const lock = join(tmpdir(), `flatsparse-build-${createHash('sha1').update(dir).digest('hex').slice(0, 12)}.lock`);
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
      if (age > 300_000) await rm(lock, { recursive: true, force: true }); // left by a killed process
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (await isBuilt(dir)) return;
    const { code, output } = await runNode([TSC, '-p', join(dir, 'tsconfig.build.json'), '--noEmitOnError'], dir);
    if (code !== 0) throw new Error(`building ${dir} failed (tsc exit ${code}):\n${output}`);
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
