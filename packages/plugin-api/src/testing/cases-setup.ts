import * as tf from '@tensorflow/tfjs-core';
import type { CaseResult, ConformanceCase } from './types.js';

/** Kernels whose gradients the models and plugins need (tfjs kernel names). */
export const REQUIRED_GRADIENTS: readonly string[] = Object.freeze([
  'Abs', 'Add', 'BatchMatMul', 'Cast', 'ClipByValue', 'Concat', 'Erf', 'Exp', 'GatherV2', 'Log', 'Max', 'Maximum', 'Mean',
  'Min', 'Minimum', 'Multiply', 'Neg', 'Pow', 'RealDiv', 'Relu', 'Reshape', 'Rsqrt', 'Select', 'Sigmoid', 'Slice', 'Softmax',
  'Sqrt', 'Square', 'SquaredDifference', 'Sub', 'Sum', 'Tanh', 'Tile', 'Transpose',
]);

/** Hint added to errors that come from unregistered tfjs gradients. */
export const GRADIENTS_FIX =
  "tfjs gradients are not registered: tfjs-core registers none by itself. Load them before the cases: pass setup: registerGradients (from @flatsparse/core) to the suite, or use engineConformance() from '@flatsparse/core/testing', or import the @tensorflow/tfjs package.";

function result(passed: boolean, detail: string): CaseResult {
  return { passed, maxAbsError: passed ? 0 : 1, tolerance: 0, detail };
}

/** Checks of the engine itself: gradients registered, tensor bookkeeping that the leak checks rely on. */
export function setupCases(): ConformanceCase[] {
  return [
    {
      name: 'gradients registered',
      group: 'setup',
      run: () => {
        const missing = REQUIRED_GRADIENTS.filter((kernel) => tf.getGradient(kernel) === undefined);
        return result(missing.length === 0, missing.length === 0 ? `${REQUIRED_GRADIENTS.length} gradients present` : `missing gradients for ${missing.join(', ')}. Fix: ${GRADIENTS_FIX}`);
      },
    },
    {
      name: 'tensor bookkeeping (create, tidy, dispose)',
      group: 'setup',
      run: async () => {
        const before = tf.memory().numTensors;
        const kept = tf.tidy(() => tf.add(tf.ones([2, 2]), tf.ones([2, 2])));
        const afterTidy = tf.memory().numTensors;
        const values = Array.from(await kept.data());
        kept.dispose();
        const afterDispose = tf.memory().numTensors;
        const passed = afterTidy === before + 1 && afterDispose === before && values.every((v) => v === 2);
        return result(passed, `count ${before} -> ${afterTidy} after tidy (expected +1) -> ${afterDispose} after dispose (expected ${before}); values ${values.join(',')}`);
      },
    },
  ];
}
