import { wasmBackend } from '@flatsparse/backend-wasm';
import { AdamW } from '@flatsparse/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());

describe.skipIf(!state.available)('per-parameter options override the optimiser groups (wasm)', () => {
  it('decays a parameter the default rule exempts when a plugin asks for it, and only that one', async () => {
    const opt = new AdamW({ weightDecay: 0.1 });
    const table = tf.variable(tf.tensor2d([[1, -2], [3, 4]]), true, 'zeroth_bias_test');
    const other = tf.variable(tf.tensor2d([[1, -2], [3, 4]]), true, 'other_bias_test');
    const params = new Map([['blocks.0.mlp.zeroth_bias', table], ['blocks.0.mlp.other_bias', other]]);
    const grads = new Map([...params.keys()].map((n) => [n, tf.zerosLike(params.get(n)!)] as const));
    expect(opt.groupOf('blocks.0.mlp.zeroth_bias', [2, 2]).weightDecay).toBe(0); // 'bias' names are exempt by default
    tf.tidy(() => opt.apply(params, grads, 0.5, undefined, (n) => (n === 'blocks.0.mlp.zeroth_bias' ? { weightDecay: 0.2 } : undefined)));
    // Zero gradient: the Adam term is 0, so p <- p - lr * wd * p = p * (1 - 0.5 * 0.2) for the table only.
    expect(Array.from(await table.data()).map((v) => Number(v.toFixed(6)))).toEqual([0.9, -1.8, 2.7, 3.6]);
    expect(Array.from(await other.data())).toEqual([1, -2, 3, 4]);
    tf.dispose([...grads.values(), table, other]);
    opt.dispose();
  });
});
