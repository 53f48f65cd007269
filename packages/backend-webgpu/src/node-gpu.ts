import type { Gpu } from './gpu-types.js';
import { importRuntime, messageOf } from './runtime.js';

/** The `webgpu` npm package: Dawn's Node binding (dawn.node ships inside the package). */
export interface DawnModule {
  create(flags: string[]): Gpu;
  readonly globals: Readonly<Record<string, unknown>>;
}

/** The outcome of loading Dawn: the module, or why not with the fix. */
export type DawnLoad = { readonly ok: true; readonly dawn: DawnModule } | { readonly ok: false; readonly reason: string; readonly fix: string };

/** How to install the optional package. */
export const DAWN_INSTALL = 'pnpm add webgpu@0.6.2 (the optional dependency of @flatsparse/backend-webgpu; dawn.node ships inside it, nothing is downloaded)';

/** Imports the `webgpu` package (Node only), telling a missing package from a binding that fails to load. */
export async function loadDawn(): Promise<DawnLoad> {
  try {
    const mod = await importRuntime<Partial<DawnModule> & { default?: Partial<DawnModule> }>('webgpu');
    const dawn = typeof mod.create === 'function' ? mod : mod.default;
    if (typeof dawn?.create !== 'function' || typeof dawn.globals !== 'object') {
      return { ok: false, reason: "the 'webgpu' package loaded but exports no create()/globals (an unexpected version).", fix: `install the tested version: ${DAWN_INSTALL}.` };
    }
    return { ok: true, dawn: dawn as DawnModule };
  } catch (err) {
    const message = messageOf(err);
    if (/cannot find (package|module) 'webgpu'|ERR_MODULE_NOT_FOUND/i.test(message) && !/dawn\.node/.test(message)) {
      return { ok: false, reason: "the optional 'webgpu' package (Dawn for Node) is not installed.", fix: `${DAWN_INSTALL}; optional dependencies are skipped by --no-optional installs.` };
    }
    return {
      ok: false,
      reason: `Dawn's native binding (dawn.node from the 'webgpu' package) failed to load on this platform: ${message}`,
      fix: `prebuilt bindings exist for linux-x64, linux-arm64, darwin and win32-x64/arm64 with a recent C library; reinstall (${DAWN_INSTALL}) or use the wasm backend.`,
    };
  }
}

/**
 * Provides `navigator.gpu` from Dawn and copies Dawn's globals (GPUBufferUsage, GPUMapMode, ...) that
 * are missing onto globalThis, as tfjs-backend-webgpu expects a browser. Returns the function that
 * removes exactly what was added (Dawn keeps Node alive while `navigator.gpu` refers to it).
 */
export function installNodeGlobals(gpu: Gpu, globals: Readonly<Record<string, unknown>>): () => void {
  const g = globalThis as unknown as Record<string, unknown> & { navigator?: Record<string, unknown> };
  const added: string[] = [];
  for (const [name, value] of Object.entries(globals)) {
    if (name in g) continue;
    Object.defineProperty(g, name, { value, configurable: true, writable: true, enumerable: false });
    added.push(name);
  }
  const createdNavigator = g.navigator === undefined;
  if (createdNavigator) Object.defineProperty(g, 'navigator', { value: {}, configurable: true, writable: true, enumerable: false });
  Object.defineProperty(g.navigator!, 'gpu', { value: gpu, configurable: true, writable: true, enumerable: true });
  return () => {
    if (createdNavigator) delete g.navigator;
    else if (g.navigator) delete g.navigator.gpu;
    for (const name of added) delete g[name];
  };
}

/** The browser's (or an earlier set-up's) `navigator.gpu`, if any. */
export function existingGpu(): Gpu | undefined {
  return (globalThis as { navigator?: { gpu?: Gpu } }).navigator?.gpu ?? undefined;
}
