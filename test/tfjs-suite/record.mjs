#!/usr/bin/env node
// Brings filters/<backend>.json in line with a full run's JSON (run.mjs --json): specs that now pass are
// removed, names that no longer exist are removed, and new failures are added with the reason the rules
// below give from their error message. A failure no rule explains is added as "unclassified: <message>",
// which run.mjs refuses until a person writes its reason: nothing fails silently into the list.
//
//   node test/tfjs-suite/run.mjs --backend wasm --json /tmp/wasm.json
//   node test/tfjs-suite/record.mjs /tmp/wasm.json
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Which tfjs package's kernel a backend runs (native runs wasm's except where it has its own). */
const UPSTREAM = { wasm: 'tfjs-backend-wasm', native: 'tfjs-backend-wasm', webgpu: 'tfjs-backend-webgpu', cpu: 'tfjs-backend-cpu' };

/** [test on (name, message), reason] in order; the first that matches gives the reason. */
function rules(backend) {
  const up = UPSTREAM[backend];
  const gpuErrors = `${up} runs the op on the GPU, which cannot raise the input check's error (tfjs excludes these in its own webgpu setup_test)`;
  return [
    [(n, m) => /Kernel 'Complex' not registered/.test(m), `unsupported-dtype: complex64 (${up} has no Complex kernel)`],
    [(n, m) => /Kernel '(\w+)' not registered|has no kernel '(\w+)'/.test(m), (n, m) => `missing-kernel: ${/Kernel '(\w+)' not registered|has no kernel '(\w+)'/.exec(m).slice(1).find(Boolean)}`],
    [(n, m) => /Unknown dtype string/.test(m) || (/Aborted\(\)/.test(m) && /string/i.test(n)), `unsupported-dtype: string (${up}'s kernels take numeric tensors only)`],
    [(n) => /should support string comparison/.test(n), `unsupported-dtype: string (${up} compares the strings' bytes, not the strings)`],
    [(n, m) => /does not support dataFormat/.test(m), `missing-feature: NCHW (channels-first) data format in ${up}'s Conv2D and FusedConv2D`],
    [(n, m) => backend === 'native' && /_FusedMatMul only supports rank-1 bias/.test(m), 'flatsparse-bug: native passes a bias other than [n] to tfjs-backend-wasm\'s _FusedMatMul, which takes rank-1 biases only (issue #25 item 3)'],
    [(n, m) => /only supports rank-1 bias/.test(m), (n, m) => `missing-feature: ${/(\w+) only supports rank-1 bias/.exec(m)[1]} in ${up} takes a rank-1 bias only (tfjs's wasm setup_test: broadcasted bias not yet supported)`],
    [(n, m) => /BatchMatMul for non non-float32/.test(m), `unsupported-dtype: int32 in ${up}'s BatchMatMul`],
    [(n, m) => /internal memory leak/.test(m), (n, m) => `upstream-bug: ${up} leaves a tensor behind in '${/after running '([^']+)'/.exec(m)?.[1] ?? '?'}' (tfjs's kernel leak check)`],
    [(n) => /^clipByValue /.test(n) && backend !== 'webgpu', `upstream-bug: ${up}'s ClipByValue (XNNPACK clamp) does not propagate NaN; XNNPACK makes no NaN guarantee (tfjs#3855)`],
    [(n) => /^tensor Tensor2D (float32|int32) -> bool$/.test(n), `upstream-bug: ${up}'s Cast to bool keeps the value (tfjs#2590, excluded in tfjs's own wasm setup_test)`],
    [(n) => /fractional outputs default rounding/.test(n), `upstream-bug: ${up}'s AvgPool/MaxPool with a 1x1 filter ignore the padding (tfjs#6969: padding still TODO)`],
    [(n) => /^threshold method otsu/.test(n) && backend !== 'webgpu', `upstream-bug: ${up}'s kernels under threshold('otsu') fail to broadcast ("Operands could not be broadcast together")`],
    [(n) => /^logSigmoid gradient with clones$/.test(n), `upstream-bug: ${up}'s Neg in the gradient of a cloned tensor reads a tensor the engine no longer has (TypeError in Engine.moveData)`],
    [(n) => /^slice2d throws when requesting out of bounds slice$/.test(n), `upstream-bug: ${up}'s Slice does not check the slice against the input's shape (the cpu kernel throws)`],
    [(n) => backend === 'webgpu' && /propagates NaNs/i.test(n), `upstream-bug: ${up}'s shader drops the NaN: WGSL lets implementations assume no NaN (tfjs#7162; excluded in tfjs's own webgpu setup_test)`],
    [(n) => backend === 'webgpu' && /^(tan|cos) /.test(n), `environment: float32 precision of SwiftShader's tan/cos beyond the spec's tolerance (tfjs#7618; excluded in tfjs's own webgpu setup_test)`],
    [(n) => backend === 'webgpu' && /^exp int32$/.test(n), `environment: float32 precision of SwiftShader's exp beyond the spec's tolerance (excluded in tfjs's own webgpu setup_test)`],
    [(n) => backend === 'webgpu' && /^cumsum gradient/.test(n), `upstream-bug: ${up}'s Cumsum with exclusive and reverse set (the gradient) sums the wrong elements (excluded in tfjs's own webgpu setup_test)`],
    [(n) => backend === 'webgpu' && /^prod gradients/.test(n), `upstream-bug: the Prod gradient on ${up} is wrong (its Cumprod with exclusive and reverse set; excluded in tfjs's own webgpu setup_test)`],
    [(n, m) => backend === 'webgpu' && /(throws? (when|error)|invalid)/i.test(n) && /Expected function to throw|createBuffer/.test(m), `upstream-bug: ${gpuErrors}`],
    [(n) => backend === 'webgpu' && /^fromPixels, mock canvas/.test(n), `environment: ${up}'s fromPixels reads a canvas through the browser's GPU upload path, which the mock canvas lacks in Node`],
    [(n) => backend === 'webgpu' && /^threshold method otsu/.test(n), `upstream-bug: ${up}'s Bincount shader does not compile ("no matching overload for operator <"), which Dawn reports as a GPU error`],
  ];
}

export function reasonFor(backend, name, message) {
  for (const [test, reason] of rules(backend)) {
    if (test(name, message ?? '')) return typeof reason === 'function' ? reason(name, message ?? '') : reason;
  }
  return `unclassified: ${String(message ?? '').slice(0, 200)}`;
}

function main() {
  const [jsonPath] = process.argv.slice(2);
  if (jsonPath === undefined) {
    process.stderr.write('usage: node test/tfjs-suite/record.mjs <run.json>\n');
    process.exit(2);
  }
  const run = JSON.parse(readFileSync(jsonPath, 'utf8'));
  if (run.skipped) throw new Error(`${jsonPath}: the backend was skipped (${run.skipped}); nothing to record`);
  if (run.partial) throw new Error(`${jsonPath} comes from a partial run (--files, --shard or --grep): record from a full run`);
  const path = join(HERE, 'filters', `${run.backend}.json`);
  const filters = JSON.parse(readFileSync(path, 'utf8'));
  const expected = { ...(filters.expectedFailures ?? {}) };
  let added = 0;
  let removed = 0;
  for (const p of run.nowPassing) {
    delete expected[p.name];
    removed++;
  }
  for (const n of run.unmatched) {
    delete expected[n];
    removed++;
  }
  for (const u of run.unexpected) {
    if (u.name.startsWith('(')) continue; // a file that did not load, or an error outside specs: not a spec to list
    expected[u.name] = reasonFor(run.backend, u.name, u.message);
    added++;
  }
  const sorted = Object.fromEntries(Object.entries(expected).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(path, `${JSON.stringify({ ...filters, expectedFailures: sorted }, null, 2)}\n`);
  process.stdout.write(`${path}: ${added} added, ${removed} removed, ${Object.keys(sorted).length} expected failures\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
