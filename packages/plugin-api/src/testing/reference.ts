import { layerNormReference } from './cases-composite.js';
import { map, mean, nd, sum, zip } from './reference-nd.js';
import { concat, gather, logSoftmax, matMul, oneHot, reshape, slice, softmax, transpose } from './reference-ops.js';

/**
 * The kit's float64 reference library, for writing conformance cases of one's own (as the engine does
 * for its models' ops): row-major n-d arrays (Nd, built with `nd(shape, values)`) and the ops the
 * built-in cases check against.
 */
export const reference = Object.freeze({ nd, map, zip, sum, mean, matMul, transpose, reshape, slice, concat, gather, oneHot, logSoftmax, softmax, layerNorm: layerNormReference });
