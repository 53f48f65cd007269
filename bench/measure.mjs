/**
 * Timing of training steps through the real Trainer (sampler, hooks, clipping, AdamW, the non-finite
 * guard and the per-step read-back of loss and figures with logEvery 1), and of one large matMul.
 */

/** The metric plugins measured at every step in the "all metrics" configuration. */
export const ALL_METRICS = [
  ['activation-sparsity', 'activation-sparsity'],
  ['derivative-sparsity', 'derivative-sparsity'],
  ['dead-neurons', 'dead-neurons'],
  ['augmented-flatness', 'augmented-flatness'],
];

/** Random uniform images [size, H, W, C] and labels, from the core's seeded Rng. */
export function syntheticImages(core, config, size, seed) {
  const rng = new core.Rng(seed);
  const inputShape = [...config.imageSize, config.channels ?? 1];
  const pixels = inputShape.reduce((a, b) => a * b, 1);
  const split = () => ({
    inputs: rng.fill(size * pixels, (r) => r.uniform()),
    inputShape,
    targets: Int32Array.from({ length: size }, () => rng.int(config.classes)),
    targetShape: [],
    size,
  });
  return { name: 'bench-random-images', kind: 'image', classes: config.classes, train: split(), heldOut: split(), source: `uniform noise, seed ${seed}` };
}

/** The bench's trainer settings (those of the PyTorch peer): AdamW 1e-3, decay 0.05, clipping to 1, label smoothing 0.11. */
function benchTrainerOptions(core, { model, config, batch, host, metrics, seed }) {
  const dataset = syntheticImages(core, config, batch * 4, seed);
  return { model, dataset, host, metrics, batchSize: batch, lr: 1e-3, optimizer: { weightDecay: 0.05 }, clipNorm: 1, labelSmoothing: 0.11, evalBatches: 1, seed };
}

/**
 * Trains a fresh ViT for warmup + steps steps and returns the wall time (ms) of each step after the
 * warm-up, taken between consecutive train records (logEvery 1), the process CPU time of the same
 * intervals (all threads: insensitive to other processes, but it includes V8's GC helper threads),
 * and the last record.
 */
export async function timeTrainSteps({ core, plugins }, { config, batch, withMetrics, warmup, steps, seed = 0 }) {
  const model = core.createVit(config, { activation: plugins.reluActivation, seed });
  const host = await core.PluginHost.create(withMetrics ? ALL_METRICS.map(([plugin]) => plugins.createBuiltinPlugin(plugin)) : []);
  const metrics = withMetrics ? ALL_METRICS.map(([, name]) => ({ name, metric: host.contributions.metrics.get(name).value })) : [];
  const times = [];
  const cpuTimes = [];
  let previous;
  let previousCpu;
  let lastRecord;
  try {
    const trainer = new core.Trainer({
      ...benchTrainerOptions(core, { model, config, batch, host, metrics, seed }),
      steps: warmup + steps,
      logEvery: 1,
      sink: {
        write: (record) => {
          if (record.split !== 'train') return;
          const cpu = process.cpuUsage();
          if (previous !== undefined && record.step >= warmup) {
            times.push(record.wallMs - previous);
            cpuTimes.push((cpu.user + cpu.system - previousCpu) / 1000);
          }
          previous = record.wallMs;
          previousCpu = cpu.user + cpu.system;
          lastRecord = record;
        },
      },
    });
    await trainer.run();
  } finally {
    model.dispose();
    await host.dispose();
  }
  return { times, cpuTimes, lastRecord };
}

/**
 * The metric overhead measured within one run: a trainer with every metric and logEvery 2, so steps
 * with the metrics (computed and read back with the loss) and steps without them alternate under the
 * same conditions. A step's time runs from its 'beforeForward' to the next one's, so it includes its
 * logging. Returns the wall times (ms) of the steps with and without metrics after the warm-up.
 */
export async function timeAlternatingMetricSteps({ core, plugins }, { config, batch, warmup, steps, seed = 0 }) {
  const model = core.createVit(config, { activation: plugins.reluActivation, seed });
  const starts = new Map();
  const clock = { name: 'bench-step-clock', version: '1.0.0', apiVersion: `^${core.PLUGIN_API_VERSION}`, hooks: { beforeForward: ({ step }) => void starts.set(step, performance.now()) } };
  const host = await core.PluginHost.create([...ALL_METRICS.map(([plugin]) => plugins.createBuiltinPlugin(plugin)), clock]);
  const metrics = ALL_METRICS.map(([, name]) => ({ name, metric: host.contributions.metrics.get(name).value }));
  const logged = new Set();
  const total = warmup + 2 * steps + 1;
  try {
    const trainer = new core.Trainer({
      ...benchTrainerOptions(core, { model, config, batch, host, metrics, seed }),
      steps: total,
      logEvery: 2,
      sink: { write: (record) => void (record.split === 'train' && logged.add(record.step)) },
    });
    await trainer.run();
  } finally {
    model.dispose();
    await host.dispose();
  }
  const withMetrics = [];
  const without = [];
  for (let step = warmup; step + 1 < total; step++) {
    const ms = starts.get(step + 1) - starts.get(step);
    (logged.has(step) ? withMetrics : without).push(ms);
  }
  return { withMetrics, without };
}

/** Median wall time (ms) of a [size x size] float32 matMul, result read back each time. */
export async function timeMatMul(tf, size = 1024, reps = 10) {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  const times = [];
  try {
    for (let i = 0; i < reps + 2; i++) {
      const start = performance.now();
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
      if (i >= 2) times.push(performance.now() - start);
    }
  } finally {
    tf.dispose([a, b]);
  }
  return median(times);
}

/** Median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
