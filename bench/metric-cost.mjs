/**
 * The cost of the metrics alone: every standard metric computed (computeFigures, as the trainer does
 * at a logging step) on the captures of one training batch, repeated. Short and repeated, so it is
 * less disturbed by background load than the difference of two whole-step medians.
 */
import { ALL_METRICS, median } from './measure.mjs';

/** Median and best time (ms) of computeFigures with all metrics on one batch's captures (with gradients). */
export async function timeMetricsAlone({ core, plugins, tf }, { config, batch, reps = 15, seed = 0 }) {
  const model = core.createVit(config, { activation: plugins.reluActivation, seed });
  const host = await core.PluginHost.create(ALL_METRICS.map(([plugin]) => plugins.createBuiltinPlugin(plugin)));
  const metrics = ALL_METRICS.map(([, name]) => ({ name, metric: host.contributions.metrics.get(name).value }));
  const inputs = tf.randomUniform([batch, ...config.imageSize, config.channels ?? 1], 0, 1, 'float32', seed);
  const targets = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % config.classes), 'int32');
  const probes = model.probeShapes(inputs).map((s) => ({ p: tf.zeros(s.p), a: tf.zeros(s.a), z: tf.zeros(s.z) }));
  const kept = [];
  let forward;
  const { value, grads } = tf.engine().gradients(
    () => {
      const f = model.forward(inputs, { training: true, step: 0, probes });
      forward = f.captures.map((c) => ({ ...c, x: tf.keep(c.x), p: tf.keep(c.p), a: tf.keep(c.a), z: tf.keep(c.z) }));
      kept.push(...forward.flatMap((c) => [c.x, c.p, c.a, c.z]));
      return model.loss(f.output, targets, 0.11);
    },
    probes.flatMap((p) => [p.p, p.a, p.z]),
    undefined,
    true,
  );
  const captures = forward.map((c, b) => ({ ...c, dp: grads[3 * b], da: grads[3 * b + 1], dz: grads[3 * b + 2] }));
  const times = [];
  try {
    for (let i = 0; i < reps + 2; i++) {
      const start = performance.now();
      const figures = core.computeFigures(metrics, captures);
      await Promise.all(Object.values(figures).map((t) => t.data()));
      if (i >= 2) times.push(performance.now() - start);
      tf.dispose(Object.values(figures));
    }
  } finally {
    tf.dispose([inputs, targets, value, ...grads, ...kept, ...probes.flatMap((p) => [p.p, p.a, p.z])]);
    model.dispose();
    await host.dispose();
  }
  return { median: median(times), best: Math.min(...times) };
}
