/**
 * The other work users wait for, on the active backend: a held-out evaluation (forward passes in
 * evaluation mode, loss and accuracy read back), the same with the forward-only metrics, and a
 * Hutchinson estimate of the Hessian trace (the hessian-trace plugin through EstimatorRunner, as a
 * scheduled estimate runs), with its passes per probe.
 */
import { ALL_METRICS, median, syntheticImages } from './measure.mjs';

/** Median wall time (ms) of f over reps runs, after one untimed run. */
async function timed(f, reps) {
  await f();
  const times = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await f();
    times.push(performance.now() - start);
  }
  return median(times);
}

/**
 * { evalMsPerBatch, evalWithMetricsMsPerBatch, trace: { msPerProbe, forwardPerProbe, backwardPerProbe, method } }
 * for the ViT `config` with batches of `batch` examples.
 */
export async function timeOtherWork({ core, plugins }, { config, batch, evalBatches = 4, probes = 12, reps = 3, hvp = 'auto' }) {
  const model = core.createVit(config, { activation: plugins.reluActivation, seed: 0 });
  const dataset = syntheticImages(core, config, batch * evalBatches, 1);
  const host = await core.PluginHost.create(ALL_METRICS.map(([plugin]) => plugins.createBuiltinPlugin(plugin)));
  const metrics = ALL_METRICS.map(([, name]) => ({ name, metric: host.contributions.metrics.get(name).value }));
  const trace = plugins.createBuiltinPlugin('hessian-trace', { probes, hvp });
  const contributions = core.collectContributions([trace]);
  const runner = new core.EstimatorRunner(model, dataset, contributions, [{ name: 'hessian-trace' }], { batchSize: batch, seed: 0 });
  try {
    const evaluateWith = (ms) => () => core.evaluate(model, dataset.heldOut, { batchSize: batch, maxBatches: evalBatches, step: 0, metrics: ms });
    const evalMs = await timed(evaluateWith([]), reps);
    const evalMetricsMs = await timed(evaluateWith(metrics), reps);
    await runner.run(0); // warm-up (and the 'auto' method's verification, as in a first estimate)
    const records = [];
    for (let i = 0; i < Math.max(1, Math.floor(reps / 2)); i++) records.push(...(await runner.run(0)));
    const perProbe = (r) => ({ ms: r.cost.wallMs / probes, forward: r.cost.forwardPasses / probes, backward: r.cost.backwardPasses / probes });
    const samples = records.map(perProbe);
    return {
      evalMsPerBatch: evalMs / evalBatches,
      evalWithMetricsMsPerBatch: evalMetricsMs / evalBatches,
      trace: {
        probes,
        msPerProbe: median(samples.map((s) => s.ms)),
        forwardPerProbe: samples[0].forward,
        backwardPerProbe: samples[0].backward,
        method: records[0].method ? `${records[0].method.hvp} (${records[0].method.reason})` : 'unknown',
      },
    };
  } finally {
    runner.dispose();
    model.dispose();
    await host.dispose();
  }
}
