/**
 * While set, hasFusedKernel answers false everywhere, so models and metrics use plain tfjs ops only.
 * The engine sets it around an exact Hessian-vector product (double backward), whose second pass
 * needs gradients of every op in the first; fused kernels have none. Exported from
 * '@flatsparse/plugin-api/host' for engines, not from the plugin API's main entry.
 */
let plainOnly = false;

export function plainOpsOnly(): boolean {
  return plainOnly;
}

/** Sets the mode and returns the previous value (restore it in a finally). */
export function setPlainOpsOnly(value: boolean): boolean {
  const previous = plainOnly;
  plainOnly = value;
  return previous;
}
