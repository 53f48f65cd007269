import type { ModelParameter } from '@flatsparse/plugin-api';

/** The sizes every pre-LN Transformer stack here has. */
export interface StackSizes {
  readonly d: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlpWidth: number;
}

/** Parameters of the pre-LN blocks and the final LayerNorm, by checkpoint name (as TransformerModel.createStack creates them). */
export function stackParameters({ d, depth, mlpWidth: n }: StackSizes): ModelParameter[] {
  const out: ModelParameter[] = [];
  for (let i = 0; i < depth; i++) {
    const b = `blocks.${i}`;
    out.push(
      { name: `${b}.ln1.scale`, shape: [d] },
      { name: `${b}.ln1.shift`, shape: [d] },
      { name: `${b}.attn.qkv.weight`, shape: [d, 3 * d] },
      { name: `${b}.attn.qkv.bias`, shape: [3 * d] },
      { name: `${b}.attn.out.weight`, shape: [d, d] },
      { name: `${b}.attn.out.bias`, shape: [d] },
      { name: `${b}.ln2.scale`, shape: [d] },
      { name: `${b}.ln2.shift`, shape: [d] },
      { name: `${b}.mlp.key.weight`, shape: [d, n] },
      { name: `${b}.mlp.key.bias`, shape: [n] },
      { name: `${b}.mlp.value.weight`, shape: [n, d] },
      { name: `${b}.mlp.value.bias`, shape: [d] },
    );
  }
  out.push({ name: 'final_ln.scale', shape: [d] }, { name: 'final_ln.shift', shape: [d] });
  return out;
}

/**
 * Floats the gradient tape keeps for a batch: per block the LayerNorm outputs, q/k/v, the MLP's pre- and
 * post-activations and the residuals (8d + 3n per token) and two T x T attention maps per head, plus the
 * embeddings and the logits (twice: softmax and its input). Kernels' scratch memory is not counted.
 */
export function stackActivationElements({ d, depth, heads, mlpWidth: n }: StackSizes, batchSize: number, tokens: number, outputs: number): number {
  const perBlock = batchSize * tokens * (8 * d + 3 * n) + 2 * batchSize * heads * tokens * tokens;
  return depth * perBlock + batchSize * tokens * d + 2 * batchSize * outputs;
}

/** The options that size a stack, for the fix of a model that does not fit. */
export function describeStackSize({ d, depth, mlpWidth }: StackSizes): string {
  return `model.d ${d}, model.depth ${depth}, model.mlpWidth ${mlpWidth}`;
}
