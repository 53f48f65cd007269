import { DataError, parseOptions } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { BYTE_VOCABULARY, byteWindowDataset, type WindowedTextDataset } from './byte-windows.js';
import { readBytes } from './node-io.js';
import { textFileWindowShape } from './text-files.js';

/**
 * GPT-2's vocabulary size (50,000 merges + 256 bytes + <|endoftext|>).
 *
 * The GPT-2 tokenizer is the `gpt-tokenizer` npm package's r50k_base encoding: pure JS, no native
 * code, its byte-level BPE ranks shipped inside the package (nothing downloaded at install or at run
 * time), ESM with types, and the most used JS BPE package. js-tiktoken needs its ranks passed in or
 * fetched, and @huggingface/tokenizers reads a tokenizer.json but ships no vocabulary; the latter is
 * the candidate for loading a tokenizer from a local model directory (vocab.json + merges.txt).
 */
export const GPT2_VOCABULARY = 50257;

/** Options of textDataset: `path` or `paths`, the tokenizer, and the window keys of text-files. */
export const textOptionsSchema = z
  .object({
    path: z.string().min(1).optional(),
    paths: z.array(z.string().min(1)).min(1).optional(),
    /** 'bytes': every byte is a token (vocabulary 256); 'gpt2': GPT-2's byte-level BPE (vocabulary 50257). */
    tokenizer: z.enum(['bytes', 'gpt2']).default('bytes'),
    ...textFileWindowShape,
    name: z.string().min(1).default('text'),
  })
  .strict()
  .refine((o) => (o.path === undefined) !== (o.paths === undefined), { message: 'give exactly one of path or paths', path: ['path'] });

/** Options of textDataset as a user writes them. */
export type TextOptions = z.input<typeof textOptionsSchema>;

/**
 * Text files as next-token windows with a tokenizer: 'bytes' (like text-files: one token per byte)
 * or 'gpt2' (GPT-2's byte-level BPE; each file must be valid UTF-8). Files are concatenated in the
 * order given, tokenized, and cut into windows of seqLen + 1 tokens; the last heldOutFraction of
 * the tokens is held out (windows never cross the boundary), as in text-files. Window offsets are
 * token offsets.
 *
 * Errors (DataError, code E_DATA, naming the file): a missing file; with 'gpt2', a file that is not
 * valid UTF-8 (names the byte offset of the first invalid sequence); too little text for a window.
 */
export async function textDataset(options: TextOptions, path = ''): Promise<WindowedTextDataset> {
  const o = parseOptions(textOptionsSchema, options, { path: path, fix: 'See the text card in the @flatsparse/data README.' });
  const files = o.paths ?? [o.path!];
  const label = files.length === 1 ? files[0]! : `${files.length} text files (${files[0]}, ...)`;
  const meta = { name: o.name, source: label, description: `text files (${o.tokenizer} tokens): ${files.join(', ')}` };
  const parts = await Promise.all(files.map((file) => readBytes(file, file)));
  if (o.tokenizer === 'bytes') {
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    return byteWindowDataset(bytes, o, { ...meta, vocab: BYTE_VOCABULARY });
  }
  const { encode } = await import('gpt-tokenizer/encoding/r50k_base');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const ids: number[] = [];
  for (const [i, part] of parts.entries()) {
    let text: string;
    try {
      text = decoder.decode(part);
    } catch (cause) {
      const offset = firstInvalidUtf8(part);
      throw new DataError(files[i]!, `the file is not valid UTF-8: the first invalid byte sequence is at byte offset ${offset}.`, {
        received: `byte 0x${(part[offset] ?? 0).toString(16).padStart(2, '0')} at offset ${offset}`,
        expected: 'UTF-8 text (the gpt2 tokenizer reads characters)',
        fix: "convert the file to UTF-8 (for example iconv -f latin1 -t utf-8), or use tokenizer: bytes, which takes any bytes.",
        cause,
      });
    }
    // Special-token text such as '<|endoftext|>' in a file is encoded as plain text, never as the special id.
    for (const id of encode(text, { disallowedSpecial: new Set() })) ids.push(id);
  }
  return byteWindowDataset(Int32Array.from(ids), o, { ...meta, vocab: GPT2_VOCABULARY });
}

/** Byte offset of the first byte that does not start or continue a valid UTF-8 sequence (length if none). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= bytes.length) return i;
    let cp = b & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}
