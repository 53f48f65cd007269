import { parseOptions } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { byteWindowDataset, byteWindowOptionsShape, windowCountSchema, type WindowedTextDataset } from './byte-windows.js';
import { readBytes } from './node-io.js';

/** Keys of textFileDataset besides the file list (window length, split sizes, seed). */
export const textFileWindowShape = {
  ...byteWindowOptionsShape,
  trainSize: windowCountSchema.default('all'),
  heldOutSize: windowCountSchema.default('all'),
  name: z.string().min(1).default('text-files'),
};

/** Options of textFileDataset: `path` (one file) or `paths` (several, concatenated in order). */
export const textFileOptionsSchema = z
  .object({
    path: z.string().min(1).optional(),
    paths: z.array(z.string().min(1)).min(1).optional(),
    ...textFileWindowShape,
  })
  .strict()
  .refine((o) => (o.path === undefined) !== (o.paths === undefined), { message: 'give exactly one of path or paths', path: ['path'] });

/** Options of textFileDataset as a user writes them. */
export type TextFileOptions = z.input<typeof textFileOptionsSchema>;

/**
 * Bring your own text: reads UTF-8 (or any) files as bytes, concatenates them in the order given, and
 * cuts byte windows like mobyDickDataset (vocabulary 256). The last `heldOutFraction` of the bytes is
 * held out; by default every window of each part is used.
 */
export async function textFileDataset(options: TextFileOptions, path = ''): Promise<WindowedTextDataset> {
  const o = parseOptions(textFileOptionsSchema, options, { path: path, fix: 'See "Bring your own data" in the @flatsparse/data README.' });
  const files = o.paths ?? [o.path!];
  const parts = await Promise.all(files.map((file) => readBytes(file, file)));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  const label = files.length === 1 ? files[0]! : `${files.length} text files (${files[0]}, ...)`;
  return byteWindowDataset(bytes, o, { name: o.name, source: label, description: `text files: ${files.join(', ')}` });
}
