import { z } from 'zod';
import { checkHeads, parseModelConfig, positiveInt, transformerShape } from '../model-config.js';

const vitSchema = z
  .object({
    imageSize: z.tuple([positiveInt, positiveInt]),
    channels: positiveInt,
    patch: positiveInt,
    classes: z.number().int().min(2),
    lnEps: z.number().positive().finite().default(1e-6),
    ...transformerShape,
  })
  .strict()
  .superRefine((cfg, ctx) => {
    checkHeads(cfg, ctx);
    cfg.imageSize.forEach((size, axis) => {
      if (size % cfg.patch !== 0) ctx.addIssue({ code: 'custom', path: ['patch'], message: `must divide imageSize[${axis}] (${size})`, input: cfg.patch });
    });
  });

/** Configuration of the ViT (defaults applied). */
export type VitConfig = z.output<typeof vitSchema>;
/** What users pass to createVit (lnEps, init and initStd optional). */
export type VitConfigInput = z.input<typeof vitSchema>;

/** Validates a ViT config (defaults applied); throws ModelConfigError naming the offending key. */
export function parseVitConfig(value: unknown): VitConfig {
  return parseModelConfig(vitSchema, value, 'vit', 'VitConfig');
}
