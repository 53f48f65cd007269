/**
 * @flatsparse/core/testing: what the engine adds to the conformance kit of
 * '@flatsparse/plugin-api/testing'. A backend that the engine will train on runs the kit's backend
 * suite with `engineConformance()`: the tfjs gradients registered as the trainer registers them, and
 * the models' own ops (LayerNorm, dense layers, attention, loss, gradient norm, AdamW) as extra cases,
 * on the fused kernels where the backend has them.
 */
import type { BackendConformanceOptions } from '@flatsparse/plugin-api/testing';
import { registerGradients } from '../gradients.js';
import { modelOpCases } from './cases-model-ops.js';

export { activeFusedKernels, modelOpCases } from './cases-model-ops.js';

/** Options for the kit's backend suite that make it check what the engine needs: pass them (with yours) to runBackendConformance or describeBackendConformance. */
export function engineConformance(): Required<Pick<BackendConformanceOptions, 'setup' | 'extraCases'>> {
  return { setup: registerGradients, extraCases: modelOpCases() };
}
