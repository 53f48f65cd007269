import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `f` (a gradient computation); if it throws, frees the tensors tfjs saved on the tape for the
 * backward pass, as the engine itself does after a completed pass (a failed backward, for example a
 * missing second-order kernel, or a plugin throwing inside the trainer's tape, would otherwise leak
 * them). Only outside any enclosing tape. It reaches into tfjs-core's engine state (activeTape,
 * gradientDepth), the one place flatsparse does; the trainer's step and the curvature layer use it.
 */
export function withTapeRelease<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    const state = tf.engine().state;
    if (state.gradientDepth === 0 && state.activeTape) {
      for (const node of state.activeTape) node.saved?.forEach((t) => t.dispose());
      state.activeTape = [];
    }
    throw err;
  }
}
