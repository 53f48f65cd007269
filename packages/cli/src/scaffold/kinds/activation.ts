import { factoryName } from '../plugin-name.js';
import { sourceHead, yamlName } from '../package-files.js';
import type { KindTemplate, TemplateContext } from '../types.js';
import { optionsTests, testHead } from './options-tests.js';

const OPTIONS = '{ threshold: 0.5 }';

/** Activation: a soft-thresholded ReLU, max(x - threshold, 0), flat on (-inf, threshold], at rest at 0. */
export const activationTemplate: KindTemplate = {
  summary: 'a soft-thresholded ReLU, f(x) = max(x - threshold, 0), flat on (-inf, threshold] and at rest at 0.',
  exampleOptions: OPTIONS,
  source: (ctx: TemplateContext) => `${sourceHead(ctx, {
    apiImports: 'interval, type ActivationFunction',
    optionsDoc: 'Options of the activation.\n- `threshold` (number, default 0.5): the input below which the output is 0 and flat.',
    schema: 'z.strictObject({ threshold: z.number().default(0.5) })',
  })}
/**
 * The activation '${ctx.contribution}': f(x) = max(x - threshold, 0), f'(x) = 1[x > threshold]. Its
 * habitat: the derivative is 0 on the flat region (-inf, threshold] (closed at the kink, where the
 * gradient is 0 as for tf.relu), and outputs at rest equal 0. \`reference\` is the same function in
 * plain float64 JavaScript, which the conformance suite compares \`apply\` against.
 */
export function ${ctx.identifier}Activation(options?: unknown): ActivationFunction {
  const { threshold } = parsedOptions(options);
  return Object.freeze({
    name: '${ctx.contribution}',
    apply: (x: tf.Tensor) => tf.tidy(() => tf.relu(tf.sub(x, threshold))),
    derivative: (x: tf.Tensor) => tf.tidy(() => tf.step(tf.sub(x, threshold))),
    flatRegions: Object.freeze([interval(-Infinity, threshold, false, true)]),
    restRegions: Object.freeze([interval(0, 0)]),
    reference: (x: number) => Math.max(x - threshold, 0),
  });
}

/**
 * The plugin factory (default export): what a pipeline calls with the config's \`options\`. The plugin
 * contributes the activation '${ctx.contribution}' (chosen in a config with \`activation: ${ctx.contribution}\`).
 */
export default function ${factoryName(ctx.identifier)}(options?: unknown): Plugin {
  return { name: PLUGIN_NAME, version: PLUGIN_VERSION, apiVersion: API_VERSION, contributes: { activations: [${ctx.identifier}Activation(options)] } };
}
`,
  test: (ctx: TemplateContext) => `${testHead({ source: `${ctx.identifier}Activation` })}
const THRESHOLD = 0.5;
// Points on both sides of the threshold; none is within 0.01 of it, so float32 rounding cannot move one across.
const XS = Array.from({ length: 61 }, (_, i) => -3 + 0.1 * i + 0.0123);

describe('${ctx.contribution} numerics (float32 on wasm against float64 JavaScript)', () => {
  it('apply is max(x - threshold, 0) and derivative is 1[x > threshold]', async () => {
    const act = ${ctx.identifier}Activation({ threshold: THRESHOLD });
    const x = tf.tensor1d(XS);
    const y = await read(act.apply(x));
    const d = await read(act.derivative(x));
    x.dispose();
    XS.forEach((v, i) => {
      expect(Math.abs(y[i]! - Math.max(v - THRESHOLD, 0))).toBeLessThan(1e-6);
      expect(d[i]).toBe(v > THRESHOLD ? 1 : 0);
    });
  });

  it('backpropagation through apply gives the declared derivative', async () => {
    const act = ${ctx.identifier}Activation({ threshold: THRESHOLD });
    const x = tf.tensor1d(XS);
    const grad = await read(tf.grad((t: tf.Tensor) => act.apply(t))(x));
    const d = await read(act.derivative(x));
    x.dispose();
    expect(grad).toEqual(d);
  });

  it('declares the flat region (-inf, threshold] and the rest value 0', () => {
    const act = ${ctx.identifier}Activation({ threshold: -0.25 });
    expect(act.flatRegions).toEqual([{ lo: -Infinity, hi: -0.25, loClosed: false, hiClosed: true }]);
    expect(act.restRegions).toEqual([{ lo: 0, hi: 0, loClosed: true, hiClosed: true }]);
    expect(act.reference?.(-0.25)).toBe(0);
  });
});

${optionsTests(ctx, { defaults: OPTIONS, bad: "{ threshold: 'high' }", badOption: 'threshold' })}`,
  readme: (ctx: TemplateContext) => ({
    rows: [
      ['formula', 'f(x) = max(x - threshold, 0); f\'(x) = 1[x > threshold]'],
      ['flat region', '(-inf, threshold] (derivative sparsity counts pre-activations here)'],
      ['rest region', '[0, 0] (activation sparsity counts outputs here)'],
      ['options', '`threshold` (number, default 0.5)'],
    ],
    usage: `In a pipeline config, list the package under \`plugins\` and choose its activation by name:

\`\`\`yaml
plugins:
  - { name: ${yamlName(ctx.name)}, options: ${OPTIONS} }
activation: ${ctx.contribution}
\`\`\``,
    caveats: [
      'The gradient at the kink x = threshold is 0 (as tf.relu\'s), which is why the flat region is closed there.',
      'With threshold > 0 small positive pre-activations are cut to 0 as well, so activation and derivative sparsity rise with the threshold.',
    ],
  }),
};
