import { wasmBackend } from '@flatsparse/backend-wasm';
import { definePlugin, interval, type Plugin } from '@flatsparse/plugin-api';
import { engineConformance } from '@flatsparse/core/testing';
import { describeBackendConformance, describePluginConformance } from '@flatsparse/plugin-api/testing/vitest';
import * as tf from '@tensorflow/tfjs-core';

// The backend suite on the embedded default backend: one test per case. Known gaps of
// tfjs-backend-wasm 4.22, one reason each (the code never relies on these).
describeBackendConformance(wasmBackend(), {
  ...engineConformance(),
  exclude: {
    'gather gradient (UnsortedSegmentSum)': 'tfjs-backend-wasm 4.22 has no UnsortedSegmentSum kernel; the models embed tokens with oneHot + matMul instead',
    'oneHot dtype float32': 'tfjs-backend-wasm 4.22 writes integer bit patterns into float32 oneHot output (1.4e-45 instead of 1); the code builds int32 oneHot and casts',
    'cast int32 to bool': 'tfjs-backend-wasm 4.22 keeps the int32 value in a bool tensor (2 stays 2 instead of true = 1); the code never casts integers to bool',
  },
});

/**
 * A small well-behaved third-party-style plugin: a leaky-free softplus-like activation with a flat
 * region, a metric, a regularizer with a loss term and a projection, a 'pre' hook and a hook added in
 * setup, and state released through onDispose.
 */
function samplePlugin(): Plugin {
  let steps = 0;
  let scratch: tf.Tensor | undefined;
  return definePlugin({
    name: 'sample-shifted-relu',
    version: '1.0.0',
    apiVersion: '^0.7.0',
    contributes: {
      activations: [
        {
          name: 'shifted-square-relu',
          // f(x) = relu(x - 0.5)^2: flat on (-inf, 0.5], derivative 2 relu(x - 0.5).
          apply: (x) => tf.tidy(() => tf.square(tf.relu(tf.sub(x, 0.5)))),
          derivative: (x) => tf.tidy(() => tf.mul(tf.relu(tf.sub(x, 0.5)), 2)),
          flatRegions: [interval(-Infinity, 0.5)],
          restRegions: [interval(0, 0)],
          reference: (x) => Math.max(x - 0.5, 0) ** 2,
        },
      ],
      metrics: [{ name: 'mean-activation', compute: (c) => ({ value: tf.mean(c.a) as tf.Scalar }) }],
      regularizers: [
        {
          name: 'key-weight-l2',
          lossTerm: ({ model }) => tf.addN(model.mlpBlocks.map((b) => tf.sum(tf.square(model.params.get(b.keyWeight)!)))) as tf.Scalar,
          project: (model) => {
            for (const b of model.mlpBlocks) {
              const w = model.params.get(b.keyWeight)!;
              w.assign(tf.clipByValue(w, -3, 3));
            }
          },
        },
      ],
    },
    hooks: {
      beforeForward: { handler: () => void steps++, order: 'pre' },
      evaluation: { handler: () => undefined, order: 'post' },
      afterStep: ({ model }) => {
        scratch?.dispose();
        scratch = tf.tidy(() => tf.sum(model.params.get(model.mlpBlocks[0]!.keyWeight)!));
      },
    },
    setup(ctx) {
      ctx.onDispose(() => {
        scratch?.dispose();
        scratch = undefined;
      });
    },
  });
}

describePluginConformance('sample-shifted-relu', samplePlugin, { backend: wasmBackend() });
