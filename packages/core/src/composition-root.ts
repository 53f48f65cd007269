import type { DependencyContainer } from 'tsyringe';
import { type Backend, type BackendInfo, CoreTokens, BackendInitError, type Plugin, type Token } from '@flatsparse/plugin-api';
import { BackendRegistry, type SkippedBackend } from './backend-registry.js';
import { TokenDuplicateError, PluginHost, isPreparedPlugins, preparePlugins, type PreparedPlugins, type TokenStore } from '@flatsparse/plugin-api/host';
import { registerGradients } from './gradients.js';

/** What a run is composed from. */
export interface RunOptions {
  /** Backend descriptors the run may use (for example [wasmBackend(), webgpuBackend()]). */
  readonly backends: readonly Backend[];
  /** 'auto' (default) or a backend name. */
  readonly backend?: string;
  /** Plugin objects (checked before anything else happens), or what `preparePlugins` returned (not checked again). */
  readonly plugins?: readonly Plugin[] | PreparedPlugins;
  /** Where each plugin came from (package name or path), used in error messages. */
  readonly pluginSources?: readonly string[];
  /** Seed of the run (default 0). */
  readonly seed?: number;
}

/** A composed run: the active backend, the plugin host, and typed access to provided values. */
export interface Run {
  /** What the selected backend reports (goes into run metadata). */
  readonly backend: BackendInfo;
  /** Better-ranked backends that `auto` passed over, and why. */
  readonly skippedBackends: readonly SkippedBackend[];
  /** The plugins, their contributions and event dispatch. */
  readonly host: PluginHost;
  /** A value provided under a token, or undefined (for the trainer, which is composition code). */
  tryResolve<T>(token: Token<T>): T | undefined;
  /** Disposes plugins (reverse order), the container and the backend. */
  dispose(): Promise<void>;
}

/**
 * The composition root: the only place that touches tsyringe. Order: validate plugins, select and
 * initialise the backend (async set-up finishes before anything is registered), create one child
 * container for the run, register the core tokens as values, then build the plugin host, whose
 * plugins see the container only through a TokenStore.
 */
export async function createRun(options: RunOptions): Promise<Run> {
  const plugins = isPreparedPlugins(options.plugins) ? options.plugins : preparePlugins((options.plugins as readonly Plugin[] | undefined) ?? [], options.pluginSources);
  const registry = new BackendRegistry(options.backends);
  const selection = await registry.select(options.backend ?? 'auto');
  let info: BackendInfo;
  try {
    info = await selection.backend.init();
  } catch (err) {
    if (err instanceof BackendInitError) throw err;
    throw new BackendInitError(selection.backend.name, err, `run 'flatsparse backends' to see what is available, or pick another backend (install: ${selection.backend.install}).`);
  }

  await registerGradients();
  const container = await createRunContainer();
  const store = containerTokenStore(container);
  store.provide(CoreTokens.backend, info, 'core');
  store.provide(CoreTokens.seed, options.seed ?? 0, 'core');

  let host: PluginHost;
  try {
    host = await PluginHost.create(plugins, store);
  } catch (err) {
    await container.dispose();
    await selection.backend.dispose();
    throw err;
  }
  let disposed = false;
  return {
    backend: info,
    skippedBackends: selection.skipped,
    host,
    tryResolve: (token) => store.tryGet(token),
    async dispose() {
      if (disposed) return;
      disposed = true;
      try {
        await host.dispose();
      } finally {
        await container.dispose();
        await selection.backend.dispose();
      }
    },
  };
}

/** One child container per run; the global container is never registered into. */
async function createRunContainer(): Promise<DependencyContainer> {
  await import('reflect-metadata');
  const { container } = await import('tsyringe');
  return container.createChildContainer();
}

/** A TokenStore over a run's container: values are registered by the token's symbol. */
function containerTokenStore(container: DependencyContainer): TokenStore {
  const providers = new Map<symbol, string>();
  return {
    provide(token, value, provider) {
      const prior = providers.get(token.key);
      if (prior !== undefined) throw new TokenDuplicateError(token.name, prior, provider);
      providers.set(token.key, provider);
      container.register(token.key, { useValue: value });
    },
    tryGet<T>(token: Token<T>) {
      return container.isRegistered(token.key, false) ? container.resolve<T>(token.key) : undefined;
    },
  };
}
