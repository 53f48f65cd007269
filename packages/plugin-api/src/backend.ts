/** What a backend can do, declared up front so pipelines can check before any work starts. */
export interface BackendCapabilities {
  /** float16 storage/compute is available. */
  readonly float16: boolean;
  /** Gradients of gradients (exact Hessian-vector products) work for the ops the models use. */
  readonly exactSecondOrder: boolean;
  /** Runs on a GPU (or a GPU emulation such as SwiftShader). */
  readonly gpu: boolean;
}

/** Result of `isAvailable()`: never throws; says why not and how to fix it. */
export type Availability =
  | { readonly available: true; readonly detail: string }
  | { readonly available: false; readonly reason: string; readonly fix: string };

/** What an initialised backend reports; goes into run metadata. */
export interface BackendInfo {
  /** flatsparse name of the backend that was selected (for example 'wasm'). */
  readonly name: string;
  /** tfjs backend name actually active (for example 'wasm', or 'cpu' after a fallback). */
  readonly tfjsName: string;
  /** Human-readable detail (SIMD, threads, adapter, device). */
  readonly detail: string;
  /** Capabilities of what is actually active. */
  readonly capabilities: BackendCapabilities;
  /** Set when the backend fell back to something slower, with the reason. */
  readonly fallback?: string;
  /** Extra facts (adapter vendor, GPU name, ...). */
  readonly facts?: Readonly<Record<string, string | number | boolean>>;
  /**
   * The most memory, in bytes, this backend can hold a run's tensors in, where that is less than the
   * machine's (a 32-bit WebAssembly heap: 4 GiB less 64 KiB); none: the machine's memory. The engine
   * refuses a model whose estimate exceeds it before any work starts.
   */
  readonly addressableBytes?: number;
}

/**
 * Extension point: a tensor backend. A descriptor is a plain object built by a factory such as
 * `wasmBackend()`; nothing is registered with tfjs until `init()`, and packages with import side
 * effects (tfjs-backend-webgpu, tfjs-node-gpu) are imported lazily inside `init()`.
 */
export interface Backend {
  /** flatsparse name used in configs and on the command line (for example 'wasm', 'webgpu', 'cuda'). */
  readonly name: string;
  /** The tfjs backend name it maps to (for example 'wasm', 'webgpu', 'tensorflow'). */
  readonly tfjsName: string;
  /** Preference in `auto` selection: the available backend with the highest priority wins. */
  readonly priority: number;
  /** What the backend can do (before init; `BackendInfo.capabilities` is what is actually active). */
  readonly capabilities: BackendCapabilities;
  /** How to install what the backend needs (shown when it is requested but unavailable). */
  readonly install: string;
  /** Whether the backend can run here; must not throw and should not leave state behind. */
  isAvailable(): Promise<Availability>;
  /** Registers the tfjs backend, makes it active and reports what is running. */
  init(): Promise<BackendInfo>;
  /** Releases what init acquired (tfjs backend instance, device). Safe to call twice. */
  dispose(): Promise<void>;
}

/** isAvailable() that never throws: a throwing probe counts as unavailable with its message. */
export async function safeAvailability(backend: Backend): Promise<Availability> {
  try {
    return await backend.isAvailable();
  } catch (err) {
    return {
      available: false,
      reason: `its availability check threw: ${err instanceof Error ? err.message : String(err)}`,
      fix: `report this to the maintainers of the '${backend.name}' backend; install: ${backend.install}`,
    };
  }
}
