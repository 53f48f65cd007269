import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { Rng, ShapeError, type ActivationFunction, type MlpProbes } from '@flatsparse/plugin-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGpt, createVit, type TransformerModel } from '@flatsparse/core';
import { useBackend } from '../support/backend.js';
import { randomInts, randomNormal, registerGradients, relu, softplus, tinyGpt, tinyVit } from './models-fixtures.js';

const state = await useBackend(wasmBackend());
const EPS = 1e-2;

interface Case {
  readonly model: TransformerModel;
  readonly inputs: tf.Tensor;
  readonly targets: tf.Tensor;
}

function makeCase(kind: 'vit' | 'gpt', activation: ActivationFunction): Case {
  if (kind === 'vit') {
    return { model: createVit({ ...tinyVit, initStd: 0.5 }, { activation, seed: 21 }), inputs: randomNormal([2, 4, 4, 2], 1), targets: tf.tensor1d([2, 0], 'int32') };
  }
  return { model: createGpt({ ...tinyGpt, initStd: 0.5 }, { activation, seed: 22 }), inputs: randomInts([2, 5], 2, tinyGpt.vocab), targets: randomInts([2, 5], 3, tinyGpt.vocab) };
}

function zeroProbes(c: Case): MlpProbes[] {
  return c.model.probeShapes(c.inputs).map((s) => ({ p: tf.zeros(s.p), a: tf.zeros(s.a), z: tf.zeros(s.z) }));
}

function lossWith(c: Case, probes?: readonly MlpProbes[]): tf.Scalar {
  return c.model.loss(c.model.forward(c.inputs, { training: true, step: 0, ...(probes ? { probes } : {}) }).output, c.targets, 0.1);
}

/** dL/dprobe for every probe: the trainer's way of getting eta = dp, g = da and G = dz. */
function probeGradients(c: Case, probes: readonly MlpProbes[]): { dp: tf.Tensor; da: tf.Tensor; dz: tf.Tensor }[] {
  const flat = probes.flatMap((p) => [p.p, p.a, p.z]);
  const regroup = (ts: tf.Tensor[]): MlpProbes[] => probes.map((_, i) => ({ p: ts[3 * i]!, a: ts[3 * i + 1]!, z: ts[3 * i + 2]! }));
  const grads = regroup(tf.grads((...ts: tf.Tensor[]) => lossWith(c, regroup(ts)))(flat));
  return grads.map((g) => ({ dp: g.p, da: g.a, dz: g.z }));
}

const dispose = (c: Case): void => {
  tf.dispose([c.inputs, c.targets]);
  c.model.dispose();
};

describe.skipIf(!state.available)('models: zero-valued probes capture dL/dp, dL/da, dL/dz', () => {
  beforeAll(registerGradients);

  for (const kind of ['vit', 'gpt'] as const) {
    it(`${kind}: zero probes leave the loss and the output bit-identical`, () => {
      const c = makeCase(kind, relu);
      tf.tidy(() => {
        const plain = c.model.forward(c.inputs, { training: true, step: 0 }).output;
        const probed = c.model.forward(c.inputs, { training: true, step: 0, probes: zeroProbes(c) }).output;
        expect(Array.from(probed.dataSync())).toEqual(Array.from(plain.dataSync()));
        expect(lossWith(c, zeroProbes(c)).dataSync()[0]).toBe(lossWith(c).dataSync()[0]);
      });
      dispose(c);
    });

    for (const activation of [relu, softplus]) {
      it(`${kind} (${activation.name}): dp = sigma'(p) * da and da = dz V^T in every block`, () => {
        const c = makeCase(kind, activation);
        tf.tidy(() => {
          const grads = probeGradients(c, zeroProbes(c));
          const { captures } = c.model.forward(c.inputs, { training: true, step: 0 });
          grads.forEach((g, i) => {
            const scale = tf.max(tf.abs(g.da)).dataSync()[0]!;
            expect(scale).toBeGreaterThan(1e-4);
            const expectedDp = tf.mul(activation.derivative(captures[i]!.p), g.da);
            expect(tf.max(tf.abs(tf.sub(g.dp, expectedDp))).dataSync()[0]).toBeLessThanOrEqual(1e-6 * scale);
            const value = c.model.params.get(c.model.mlpBlocks[i]!.valueWeight)!;
            const expectedDa = tf.reshape(tf.matMul(tf.reshape(g.dz, [-1, tinyGpt.d]), value, false, true), g.da.shape);
            expect(tf.max(tf.abs(tf.sub(g.da, expectedDa))).dataSync()[0]).toBeLessThanOrEqual(1e-5 * scale);
          });
          if (activation === relu) {
            const inactive = tf.sum(tf.cast(tf.equal(grads[0]!.dp, 0), 'float32')).dataSync()[0]!;
            expect(inactive).toBeGreaterThan(0);
          }
        });
        dispose(c);
      });
    }

    it(`${kind}: every probe gradient matches a central finite difference along a random direction`, () => {
      const c = makeCase(kind, softplus);
      const rng = new Rng(5);
      tf.tidy(() => {
        const zeros = zeroProbes(c);
        const grads = probeGradients(c, zeros);
        for (let block = 0; block < zeros.length; block++) {
          for (const which of ['p', 'a', 'z'] as const) {
            const raw = randomNormal(zeros[block]![which].shape, rng.nextUint32());
            const u = tf.div(raw, tf.norm(raw));
            const shifted = (sign: number): number => {
              const probes = zeros.map((p, i) => (i === block ? { ...p, [which]: tf.mul(u, sign * EPS) } : p));
              return lossWith(c, probes).dataSync()[0]!;
            };
            const numeric = (shifted(1) - shifted(-1)) / (2 * EPS);
            const analytic = tf.sum(tf.mul(grads[block]![`d${which}`], u)).dataSync()[0]!;
            expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
            expect(Math.abs(numeric - analytic)).toBeLessThan(3e-4 + 2e-3 * Math.abs(analytic));
          }
        }
      });
      dispose(c);
    });
  }

  it('vit: dL/dz of the last block is zero exactly where the head cannot see (every token but the class token)', () => {
    const c = makeCase('vit', relu);
    tf.tidy(() => {
      const grads = probeGradients(c, zeroProbes(c));
      const dz = grads[grads.length - 1]!.dz;
      const others = tf.slice(dz, [0, 1, 0], [-1, -1, -1]);
      expect(tf.max(tf.abs(others)).dataSync()[0]).toBe(0);
      expect(tf.max(tf.abs(tf.slice(dz, [0, 0, 0], [-1, 1, -1]))).dataSync()[0]).toBeGreaterThan(1e-3);
      // Earlier blocks feed later attention, so their dz reaches every token.
      expect(tf.min(tf.max(tf.abs(grads[0]!.dz), -1)).dataSync()[0]).toBeGreaterThan(0);
    });
    dispose(c);
  });

  it('probes of the wrong shape or number throw ShapeError', () => {
    const c = makeCase('gpt', relu);
    tf.tidy(() => {
      const probes = zeroProbes(c);
      const badShape = probes.map((p, i) => (i === 1 ? { ...p, z: tf.zeros([2, 5, 3]) } : p));
      expect(() => lossWith(c, badShape)).toThrow(ShapeError);
      expect(() => lossWith(c, probes.slice(0, 1))).toThrow(ShapeError);
    });
    dispose(c);
  });
});
