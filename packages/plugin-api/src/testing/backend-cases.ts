import { ConformanceError } from '../errors.js';
import { binaryCases } from './cases-binary.js';
import { compositeCases } from './cases-composite.js';
import { matmulCases } from './cases-matmul.js';
import { reductionCases } from './cases-reductions.js';
import { setupCases } from './cases-setup.js';
import { shapeCases } from './cases-shape.js';
import { unaryCases } from './cases-unary.js';
import type { ConformanceCase } from './types.js';

/**
 * Every backend conformance case: the tfjs ops the models (pre-LN ViT and GPT) and the built-in
 * plugins rely on, each checked forward and (where differentiable) backward against float64
 * references on seeded random inputs, then `extraCases` (the engine adds its models' own ops, on the
 * fused kernels where the backend has them). Names are unique; a new list is built on every call.
 */
export function backendConformanceCases(extraCases: readonly ConformanceCase[] = []): readonly ConformanceCase[] {
  const cases = [...setupCases(), ...unaryCases(), ...binaryCases(), ...reductionCases(), ...matmulCases(), ...shapeCases(), ...compositeCases(), ...extraCases];
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name)) throw new ConformanceError(c.name, 'two cases share this name.', 'give every case a unique name.');
    seen.add(c.name);
  }
  return Object.freeze(cases);
}
