import type { ModelArchitecture } from '@flatsparse/plugin-api';
import { agreeWithData } from '../fit-to-data.js';
import { describeStackSize, stackActivationElements, stackParameters } from '../transformer-sizes.js';
import { parseVitConfig, type VitConfig } from './vit-config.js';
import { VitModel } from './vit-model.js';

/** Tokens of a ViT: the class token and one per patch. */
function tokensOf(c: VitConfig): number {
  return 1 + (c.imageSize[0] / c.patch) * (c.imageSize[1] / c.patch);
}

/**
 * The ViT as a model architecture (`model: { kind: vit, patch, d, depth, heads, mlpWidth }`): it takes
 * imageSize, channels and classes from image data unless the config sets them, in which case they must agree.
 */
export const vitArchitecture: ModelArchitecture<VitConfig> = {
  name: 'vit',
  dataKinds: ['image'],
  resolve(options, data) {
    const [h, w, c] = data.inputShape;
    const config = { imageSize: [h!, w!] as [number, number], channels: c ?? 1, classes: data.classes, ...options };
    agreeWithData('model.imageSize', config.imageSize, [h, w]);
    agreeWithData('model.channels', config.channels, c ?? 1);
    agreeWithData('model.classes', config.classes, data.classes);
    return parseVitConfig(config);
  },
  parse: parseVitConfig,
  parameters(c) {
    const { d, patch, channels, classes } = c;
    return [
      { name: 'embed.patch.weight', shape: [patch * patch * channels, d] },
      { name: 'embed.patch.bias', shape: [d] },
      { name: 'embed.cls', shape: [d] },
      { name: 'embed.pos', shape: [tokensOf(c), d] },
      ...stackParameters(c),
      { name: 'head.weight', shape: [d, classes] },
      { name: 'head.bias', shape: [classes] },
    ];
  },
  activationElements: (c, batchSize) => stackActivationElements(c, batchSize, tokensOf(c), c.classes),
  build: (c, options) => new VitModel(c, options),
  describeSize: describeStackSize,
};
