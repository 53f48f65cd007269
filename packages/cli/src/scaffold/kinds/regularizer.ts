import { factoryName } from '../plugin-name.js';
import { sourceHead, yamlName } from '../package-files.js';
import type { KindTemplate, TemplateContext } from '../types.js';
import { optionsTests, testHead } from './options-tests.js';

const OPTIONS = '{ weight: 0.0001 }';

/** Regularizer: an L2 penalty on the MLP activations, mean(a^2) averaged over blocks, with a constant weight. */
export const regularizerTemplate: KindTemplate = {
  summary: 'an L2 penalty on the MLP activations, weight * mean over blocks of mean(a^2), added to the training loss.',
  exampleOptions: OPTIONS,
  source: (ctx: TemplateContext) => `${sourceHead(ctx, {
    apiImports: 'constantSchedule, type LossTermInput, type Regularizer',
    optionsDoc: 'Options of the regularizer.\n- `weight` (number >= 0, default 0.0001): the weight of the penalty in the training loss.',
    schema: 'z.strictObject({ weight: z.number().nonnegative().default(0.0001) })',
  })}
/**
 * The unweighted penalty: mean(a^2) over every entry of each MLP block's activation a, averaged over
 * blocks (0 without blocks). Called inside the gradient tape, so it trains the model towards small
 * activations.
 */
export function ${ctx.identifier}LossTerm(input: LossTermInput): tf.Scalar {
  return tf.tidy(() => {
    if (input.captures.length === 0) return tf.scalar(0);
    return tf.div(tf.addN(input.captures.map((c) => tf.mean(tf.square(c.a)))), input.captures.length) as tf.Scalar;
  });
}

/** The regularizer '${ctx.contribution}': the loss term ${ctx.identifier}LossTerm with a constant weight. */
export function ${ctx.identifier}Regularizer(options?: unknown): Regularizer {
  const { weight } = parsedOptions(options);
  return Object.freeze({ name: '${ctx.contribution}', lossTerm: ${ctx.identifier}LossTerm, weight: constantSchedule(weight) });
}

/**
 * The plugin factory (default export): what a pipeline calls with the config's \`options\`. The plugin
 * contributes the regularizer '${ctx.contribution}', active as soon as the plugin is in the pipeline
 * (its value is logged in the loss breakdown under '${ctx.contribution}').
 */
export default function ${factoryName(ctx.identifier)}(options?: unknown): Plugin {
  return { name: PLUGIN_NAME, version: PLUGIN_VERSION, apiVersion: API_VERSION, contributes: { regularizers: [${ctx.identifier}Regularizer(options)] } };
}
`,
  test: (ctx: TemplateContext) => `${testHead({ testing: 'fakeCaptures, fakeModel', source: `${ctx.identifier}LossTerm, ${ctx.identifier}Regularizer` })}
describe('${ctx.contribution} numerics (float32 on wasm against float64 JavaScript)', () => {
  it('the loss term is the mean over blocks of mean(a^2), and the weight is constant', async () => {
    const model = fakeModel();
    const fx = fakeCaptures({ model });
    try {
      const reg = ${ctx.identifier}Regularizer({ weight: 0.01 });
      const value = (await read(tf.tidy(() => reg.lossTerm!({ step: 1, model, captures: fx.forwardCaptures }))))[0]!;
      let expected = 0;
      for (const c of fx.forwardCaptures) {
        const a = Array.from(await c.a.data());
        expected += a.reduce((s, v) => s + v * v, 0) / a.length / fx.forwardCaptures.length;
      }
      expect(expected).toBeGreaterThan(0);
      expect(Math.abs(value - expected)).toBeLessThan(1e-6 * Math.max(1, expected));
      expect([reg.weight?.(0), reg.weight?.(1000)]).toEqual([0.01, 0.01]);
    } finally {
      fx.dispose();
      model.dispose();
    }
  });

  it('its gradient with respect to a is 2a / (entries * blocks)', async () => {
    const model = fakeModel();
    const fx = fakeCaptures({ model });
    try {
      const [first, ...rest] = fx.forwardCaptures;
      const grad = await read(tf.grad((a: tf.Tensor) => ${ctx.identifier}LossTerm({ step: 1, model, captures: [{ ...first!, a }, ...rest] }))(first!.a));
      const a = Array.from(await first!.a.data());
      const blocks = fx.forwardCaptures.length;
      a.forEach((v, i) => expect(Math.abs(grad[i]! - (2 * v) / (a.length * blocks))).toBeLessThan(1e-7));
    } finally {
      fx.dispose();
      model.dispose();
    }
  });

  it('is 0 without MLP blocks', async () => {
    const model = fakeModel({ blocks: 0 });
    try {
      expect((await read(${ctx.identifier}LossTerm({ step: 0, model, captures: [] })))[0]).toBe(0);
    } finally {
      model.dispose();
    }
  });
});

${optionsTests(ctx, { defaults: OPTIONS, bad: '{ weight: -1 }', badOption: 'weight' })}`,
  readme: (ctx: TemplateContext) => ({
    rows: [
      ['loss term', 'weight * mean over MLP blocks of mean(a^2), a = sigma(p) the activations'],
      ['projection', 'none'],
      ['options', '`weight` (number >= 0, default 0.0001)'],
    ],
    usage: `In a pipeline config, list the package under \`plugins\`; the regularizer is active as soon as the
plugin is in the pipeline, and its term is logged in the loss breakdown as '${ctx.contribution}':

\`\`\`yaml
plugins:
  - { name: ${yamlName(ctx.name)}, options: ${OPTIONS} }
\`\`\``,
    caveats: [
      'An L2 penalty shrinks activations towards 0 but, unlike an L1 penalty, rarely makes them exactly 0: it favours small activations, not sparse ones.',
      'The term is averaged over entries and blocks, so its scale does not depend on the model size.',
    ],
  }),
};
