/**
 * Analytic FLOP counts of one ViT training step (multiply-add = 2 FLOPs). Forward: the patch
 * embedding, per block the QKV projection, attention scores (q k^T), attention values (weights v),
 * the output projection and both MLP layers, and the head on the class token. Backward = 2x forward
 * (a gradient for the input and one for the weight of every product), so a step is 3x forward.
 * Element-wise work (LayerNorm, softmax, activations, AdamW, metrics) is not counted.
 */

/** FLOPs of one forward pass of the ViT `config` on a batch of `batch` images. */
export function vitForwardFlops(config, batch) {
  const { imageSize, patch, channels = 1, d, depth, mlpWidth, classes } = config;
  const patches = (imageSize[0] / patch) * (imageSize[1] / patch);
  const tokens = patches + 1;
  const rows = batch * tokens;
  const embed = 2 * batch * patches * patch * patch * channels * d;
  const block =
    2 * rows * d * 3 * d + // qkv projection
    2 * batch * tokens * tokens * d + // scores, all heads (heads x dh = d)
    2 * batch * tokens * tokens * d + // weights x values
    2 * rows * d * d + // output projection
    2 * 2 * rows * d * mlpWidth; // MLP key and value layers
  const head = 2 * batch * d * classes;
  return embed + depth * block + head;
}

/** FLOPs of one training step (forward + backward = 3x forward). */
export function vitStepFlops(config, batch) {
  return 3 * vitForwardFlops(config, batch);
}
