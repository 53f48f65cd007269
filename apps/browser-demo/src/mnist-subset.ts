import type { DataSplit, Dataset } from '@flatsparse/plugin-api';
import { heldOutPerDigit, labels, perDigit, pixels, side, source } from 'virtual:mnist-subset';

const bytes = (b64: string): Uint8Array => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

/**
 * The digits packed at build time as a flatsparse Dataset (images [28, 28, 1] in [0, 1], 10 classes):
 * @flatsparse/data reads the `mnist` package through Node's file APIs, which a page does not have.
 */
export function mnistSubset(): Dataset {
  const px = bytes(pixels);
  const lb = bytes(labels);
  const size = side * side;
  const pick = (inHeldOut: boolean): DataSplit => {
    const chosen = [...lb.keys()].filter((i) => i % perDigit >= perDigit - heldOutPerDigit === inHeldOut);
    const inputs = new Float32Array(chosen.length * size);
    chosen.forEach((i, k) => {
      for (let p = 0; p < size; p++) inputs[k * size + p] = px[i * size + p]! / 255;
    });
    return { inputs, inputShape: [side, side, 1], targets: Int32Array.from(chosen, (i) => lb[i]!), targetShape: [], size: chosen.length };
  };
  return { name: 'mnist-subset', kind: 'image', classes: 10, train: pick(false), heldOut: pick(true), source };
}
