#!/usr/bin/env node
// Regenerates the tfjs-core op suite table in docs/backends.md from the runner's JSON reports.
//
//   node test/tfjs-suite/docs-table.mjs [results-dir]
//
// results-dir defaults to where run.mjs and the vitest wrappers write the reports (report.mjs:
// resultsDir(), or $FLATSPARSE_TFJS_SUITE_RESULTS). Each backend's figures are kept in results.json next
// to this script, so a backend without a fresh report here (no GPU adapter, say) keeps its last row. A
// partial run, or one that did not go as its filter list says, is refused: the table shows what CI checks.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND_ORDER, renderBlock, replaceBlock, resultsDir } from './report.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DOCS = join(HERE, '..', '..', 'docs', 'backends.md');
const RESULTS = join(HERE, 'results.json');

/** What the table needs of a report. */
const KEEP = ['backend', 'tfjsBackend', 'detail', 'tfjsCore', 'jasmineCore', 'node', 'files', 'durationMs', 'counts', 'excludedByReason', 'excludedByDetail'];

function main() {
  const dir = resolve(process.argv[2] ?? resultsDir());
  const kept = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
  const reports = {};
  for (const backend of BACKEND_ORDER.filter((b) => b !== 'cpu')) {
    const path = join(dir, `${backend}.json`);
    const r = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
    const why = r === undefined ? 'no report' : r.skipped ? `skipped: ${r.skipped}` : undefined;
    if (why !== undefined) {
      if (kept[backend] === undefined) fail(`${path}: ${why}, and results.json has no figures for '${backend}' (run node test/tfjs-suite/run.mjs --backend ${backend})`);
      process.stdout.write(`${backend}: ${why} in ${dir}; its figures in results.json are kept\n`);
      reports[backend] = kept[backend];
      continue;
    }
    if (r.partial) fail(`${path} comes from a partial run (--files, --shard or --grep)`);
    if (r.unexpected.length > 0 || r.nowPassing.length > 0 || r.unmatched.length > 0) {
      fail(`${path}: the run did not go as filters/${backend}.json says (${r.unexpected.length} unexpected failures, ${r.nowPassing.length} excluded specs passing, ${r.unmatched.length} stale exclusions): update the list first (record.mjs)`);
    }
    reports[backend] = Object.fromEntries(KEEP.map((k) => [k, r[k]]));
  }
  writeFileSync(RESULTS, `${JSON.stringify(reports, null, 2)}\n`);
  writeFileSync(DOCS, replaceBlock(readFileSync(DOCS, 'utf8'), renderBlock(reports)));
  process.stdout.write(`docs/backends.md and test/tfjs-suite/results.json regenerated (${Object.keys(reports).join(', ')})\n`);
}

function fail(message) {
  process.stderr.write(`E_TFJS_SUITE_NO_REPORT: ${message}\n`);
  process.exit(2);
}

main();
