import { z } from 'zod';
import { checkHeads, parseModelConfig, positiveInt, transformerShape } from '../model-config.js';

const gptSchema = z
  .object({
    vocab: z.number().int().min(2).default(256),
    seqLen: positiveInt,
    tiedHead: z.boolean().default(true),
    lnEps: z.number().positive().finite().default(1e-5),
    ...transformerShape,
  })
  .strict()
  .superRefine(checkHeads);

/** Configuration of the GPT (defaults applied). */
export type GptConfig = z.output<typeof gptSchema>;
/** What users pass to createGpt (vocab, tiedHead, lnEps, init and initStd optional). */
export type GptConfigInput = z.input<typeof gptSchema>;

/** Validates a GPT config (defaults applied); throws ModelConfigError naming the offending key. */
export function parseGptConfig(value: unknown): GptConfig {
  return parseModelConfig(gptSchema, value, 'gpt', 'GptConfig');
}
