import { totalmem } from 'node:os';
import { type BackendInfo, ModelConfigError } from '@flatsparse/plugin-api';
import type { ResolvedModel } from './build-model.js';

/** What training a model needs in memory, estimated from its config (float32 everywhere). */
export interface MemoryEstimate {
  /** Parameters of the model (plugin-added ones excluded). */
  readonly parameters: number;
  /** The largest parameter tensor, by elements. */
  readonly largest: { readonly name: string; readonly elements: number };
  /** Parameters, their gradients and AdamW's two moments: 16 bytes per parameter. */
  readonly parameterBytes: number;
  /** Activations the gradient tape keeps for one batch, and their gradients. */
  readonly activationBytes: number;
  /** The sum of both. */
  readonly totalBytes: number;
}

/** Elements of the largest typed array a parameter is initialised in (V8's limit). */
const MAX_TYPED_ARRAY = 2 ** 32 - 1;
/** The most memory tfjs-backend-wasm can grow to (32-bit WebAssembly memory). */
export const WASM_HEAP = 4294901760;

/**
 * Estimates the memory of training `model` with `batchSize` examples per step, from its architecture: the
 * parameters it declares (16 bytes each: the value, its gradient and AdamW's two moments) and the floats
 * its gradient tape keeps for a batch, doubled for their gradients. An estimate: kernels' scratch memory
 * is not counted.
 */
export function estimateMemory(model: ResolvedModel, batchSize: number): MemoryEstimate {
  const shapes = model.architecture.parameters(model.config).map((p) => [p.name, p.shape.reduce((a, b) => a * b, 1)] as const);
  const parameters = shapes.reduce((sum, [, size]) => sum + size, 0);
  const [name, elements] = shapes.reduce((a, b) => (b[1] > a[1] ? b : a), ['(none)', 0] as const);
  const parameterBytes = 16 * parameters;
  const activationBytes = 2 * 4 * model.architecture.activationElements(model.config, batchSize);
  return { parameters, largest: { name, elements }, parameterBytes, activationBytes, totalBytes: parameterBytes + activationBytes };
}

/** This machine's memory; unknown (infinite) where Node's os module is not there (a browser bundle). */
function hostMemory(): number {
  try {
    return totalmem();
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * The memory a backend can give a run: this machine's memory, and at most what the backend declares it
 * can address (`addressableBytes`; the 4 GiB of a 32-bit WebAssembly heap for wasm and native).
 */
export function memoryLimit(backend: Pick<BackendInfo, 'name' | 'tfjsName' | 'addressableBytes'>): { readonly bytes: number; readonly what: string } {
  const host = hostMemory();
  const heap = backend.addressableBytes ?? (backend.tfjsName === 'wasm' ? WASM_HEAP : undefined);
  if (heap !== undefined && heap < host) return { bytes: heap, what: heap === WASM_HEAP ? `the 4 GiB a WebAssembly backend can address ('${backend.name}')` : `what backend '${backend.name}' can address` };
  return { bytes: host, what: `this machine's memory (backend '${backend.name}')` };
}

/**
 * Refuses a model that cannot be trained here, before any parameter is allocated: a parameter tensor
 * larger than a typed array can hold, or an estimate above the backend's memory. E_MODEL_CONFIG with the
 * estimate, the limit and what to shrink.
 */
export function checkModelFits(model: ResolvedModel, batchSize: number, backend: Pick<BackendInfo, 'name' | 'tfjsName' | 'addressableBytes'>): MemoryEstimate {
  const estimate = estimateMemory(model, batchSize);
  const sizes = model.architecture.describeSize?.(model.config);
  const fix = `shrink the model (${sizes ?? `its '${model.kind}' options`}) or train.batchSize (${batchSize}), or use a backend with more memory (--backend cuda).`;
  if (estimate.largest.elements > MAX_TYPED_ARRAY) {
    throw new ModelConfigError(`parameter '${estimate.largest.name}' would have ${estimate.largest.elements.toExponential(2)} elements, more than the ${MAX_TYPED_ARRAY.toExponential(2)} a typed array holds (the model has ${estimate.parameters.toExponential(2)} parameters, about ${gib(estimate.totalBytes)} to train).`, {
      received: sizes ?? `parameter '${estimate.largest.name}'`,
      expected: `at most ${MAX_TYPED_ARRAY} elements per parameter tensor`,
      fix,
    });
  }
  const limit = memoryLimit(backend);
  if (estimate.totalBytes > limit.bytes) {
    throw new ModelConfigError(`training needs about ${gib(estimate.totalBytes)} (${gib(estimate.parameterBytes)} for ${estimate.parameters.toExponential(2)} parameters with their gradients and AdamW moments, ${gib(estimate.activationBytes)} for the activations of a batch of ${batchSize}), more than ${gib(limit.bytes)}, ${limit.what}.`, {
      received: gib(estimate.totalBytes),
      expected: `at most ${gib(limit.bytes)}`,
      fix,
    });
  }
  return estimate;
}

function gib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
