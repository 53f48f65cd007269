/**
 * Where the backend runs and the few Node facilities it needs. Node modules are imported through a
 * computed specifier so that bundlers (Vite) never try to pack them into a browser build.
 */

interface NodeProcess {
  readonly versions?: { readonly node?: string };
  readonly platform?: string;
  readonly env: Record<string, string | undefined>;
  dlopen?(module: { exports: unknown }, filename: string, flags?: number): void;
}

/** The Node `process` object, or undefined in a browser. */
export function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return p?.versions?.node !== undefined ? p : undefined;
}

/** True in Node (and runtimes that pose as Node), false in a browser or a worker. */
export function isNode(): boolean {
  return nodeProcess() !== undefined;
}

/** Reads an environment variable (undefined in a browser). */
export function envVar(name: string): string | undefined {
  const value = nodeProcess()?.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Sets (or, with undefined, removes) an environment variable of this process; native code sees it too. */
export function setEnvVar(name: string, value: string | undefined): void {
  const p = nodeProcess();
  if (!p) return;
  if (value === undefined) delete p.env[name];
  else p.env[name] = value;
}

/** Runs `fn` with environment variables set, restoring their previous values afterwards. */
export async function withEnv<T>(vars: Readonly<Record<string, string | undefined>>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.keys(vars).map((k) => [k, nodeProcess()?.env[k]] as const);
  for (const [k, v] of Object.entries(vars)) if (v !== undefined) setEnvVar(k, v);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) setEnvVar(k, v);
  }
}

/** Imports a module by a specifier bundlers do not follow (Node built-ins, the Node-only `webgpu` package). */
export function importRuntime<T>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ specifier) as Promise<T>;
}

/** Whether a file exists (Node only; false in a browser). */
export async function fileExists(path: string): Promise<boolean> {
  if (!isNode()) return false;
  const fs = await importRuntime<{ access(path: string): Promise<void> }>('node:fs/promises');
  return fs.access(path).then(
    () => true,
    () => false,
  );
}

/** Names of the `.json` files in a directory ([] when it does not exist or in a browser). */
export async function jsonFilesIn(dir: string): Promise<string[]> {
  if (!isNode()) return [];
  const fs = await importRuntime<{ readdir(path: string): Promise<string[]> }>('node:fs/promises');
  return fs.readdir(dir).then(
    (names) => names.filter((n) => n.endsWith('.json')).map((n) => `${dir}/${n}`),
    () => [],
  );
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
