import type { ModelArchitecture } from '@flatsparse/plugin-api';
import { agreeWithData, misfit } from '../fit-to-data.js';
import { describeStackSize, stackActivationElements, stackParameters } from '../transformer-sizes.js';
import { parseGptConfig, type GptConfig } from './gpt-config.js';
import { GptModel } from './gpt-model.js';

/**
 * The GPT as a model architecture (`model: { kind: gpt, d, depth, heads, mlpWidth }`): it takes vocab and
 * seqLen from text data unless the config sets them (vocab must agree, seqLen may be longer).
 */
export const gptArchitecture: ModelArchitecture<GptConfig> = {
  name: 'gpt',
  dataKinds: ['text'],
  resolve(options, data) {
    const seqLen = data.inputShape[0]!;
    const config = { vocab: data.classes, seqLen, ...options } as { vocab: unknown; seqLen: unknown };
    agreeWithData('model.vocab', config.vocab, data.classes);
    if (typeof config.seqLen === 'number' && config.seqLen < seqLen) throw misfit('model.seqLen', config.seqLen, `the data has sequences of ${seqLen} tokens`, `set model.seqLen >= ${seqLen} (or leave it out)`);
    return parseGptConfig(config);
  },
  parse: parseGptConfig,
  parameters(c) {
    const { d, vocab, seqLen, tiedHead } = c;
    return [{ name: 'embed.token', shape: [vocab, d] }, { name: 'embed.pos', shape: [seqLen, d] }, ...stackParameters(c), ...(tiedHead ? [] : [{ name: 'head.weight', shape: [d, vocab] }])];
  },
  activationElements: (c, batchSize) => stackActivationElements(c, batchSize, c.seqLen, c.seqLen * c.vocab),
  build: (c, options) => new GptModel(c, options),
  describeSize: describeStackSize,
};
