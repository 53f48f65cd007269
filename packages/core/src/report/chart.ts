import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CHART_SCRIPT } from './chart-script.js';
import { axisLabel, cleanSeries, esc, isLogScale, legendLabel, staticLineChart, type ChartOptions, type ChartSeries } from './svg-chart.js';

export { CHART_PALETTE, type ChartOptions, type ChartSeries } from './svg-chart.js';

/**
 * The charts of every page flatsparse writes (a run's report.html, flatness-checkpoints.html, the
 * reproduction, sweep and compare pages) are drawn by uPlot (MIT; npm `uplot`): a maintained library
 * of about 50 kB with no dependencies that draws thousands of points on a canvas and has what the
 * pages need built in (the values at the cursor in the legend, drag to zoom, series toggled from the
 * legend, bands between two series, log scales). Its script and styles are read from node_modules
 * when a page is rendered and inlined into it, so every page is still one file that opens offline.
 * Each chart also keeps a static SVG in `<noscript>` for readers without scripts.
 */
interface UplotAssets {
  readonly js: string;
  readonly css: string;
  readonly version: string;
}

let assets: UplotAssets | Error | undefined;

/** uPlot's script and styles from its package, read once; an Error when the package cannot be read. */
function uplot(): UplotAssets | Error {
  if (assets === undefined) {
    try {
      const dir = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
      const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
      assets = { js: readFileSync(join(dir, 'dist', 'uPlot.iife.min.js'), 'utf8'), css: readFileSync(join(dir, 'dist', 'uPlot.min.css'), 'utf8'), version };
    } catch (err) {
      assets = err instanceof Error ? err : new Error(String(err));
    }
  }
  return assets;
}

/** Numbers in a page's data: 6 significant digits are more than a chart or its hover values show. */
const round = (v: number) => Number(v.toPrecision(6));

/** JSON that is safe inside a `<script>` element (no '<', so never '</script>'). */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * A line chart as an HTML fragment: a `<figure class="fs-chart">` holding the chart's data as JSON,
 * drawn by the page's chart script (chartScripts) with the values at the cursor, zoom and series
 * toggled from the legend, and a static SVG of the same chart in `<noscript>`. Non-finite points are
 * dropped; an empty chart says 'no data'. Where the chart library cannot be read, the static SVG alone.
 * A page with charts puts chartStyles() in its head and chartScripts() at the end of its body.
 */
export function lineChart(options: ChartOptions): string {
  const fallback = staticLineChart(options);
  const series = cleanSeries(options.series);
  const width = options.width ?? 560;
  if (series.length === 0) return `<figure class="fs-chart-empty" style="width:${width}px">${fallback}</figure>`;
  if (uplot() instanceof Error) return `<figure class="fs-chart-static">${fallback}</figure>`;
  const xs = [...new Set(series.flatMap((s) => [...s.points.map((p) => p[0]), ...(s.band ?? []).map((b) => b[0])]))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const column = (pairs: readonly (readonly [number, number])[]) => {
    const ys: (number | null)[] = xs.map(() => null);
    for (const [x, y] of pairs) ys[at.get(x)!] = round(y);
    return ys;
  };
  const log = isLogScale(series, options.yScale);
  const spec = {
    title: options.title,
    xLabel: axisLabel(options.xLabel, log),
    log,
    width,
    height: options.height ?? 300,
    x: xs.map(round),
    series: series.map((s) => ({
      label: legendLabel(s),
      color: s.color,
      ...(s.dashed ? { dashed: true } : {}),
      y: column(s.points),
      ...(s.band && s.band.length > 0 ? { low: column(s.band.map(([x, lo]) => [x, lo])), high: column(s.band.map(([x, , hi]) => [x, hi])) } : {}),
    })),
  };
  return `<figure class="fs-chart" data-title="${esc(options.title)}"><script type="application/json" class="fs-chart-data">${scriptJson(spec)}</script><noscript>${fallback}</noscript></figure>`;
}

/** What a page with charts puts in its `<head>`: the chart library's styles and the charts' own. */
export function chartStyles(): string {
  const lib = uplot();
  const css = lib instanceof Error ? '' : lib.css;
  return `<style>${css}
figure.fs-chart,figure.fs-chart-empty,figure.fs-chart-static{margin:0;border:1px solid #eee;padding:4px}
.fs-chart .u-legend{font-size:12px;text-align:left;margin:4px 0 0;border-collapse:collapse;max-width:100%}.fs-chart .u-legend th,.fs-chart .u-legend td{border:0;background:none;padding:1px 4px;font-size:12px}
.fs-chart .u-legend th{font-weight:500}.fs-chart .u-legend .fs-bound,.u-cursor-pt.fs-bound{display:none}.fs-chart .u-title{font-size:14px}.fs-chart-error{color:#a00;font-size:12px}</style>`;
}

/**
 * What a page with charts puts at the end of its `<body>`: the chart library (inlined, no network)
 * and the script that draws every chart of the page, with one line saying how to use them. Where the
 * library cannot be read, a note that the charts are static.
 */
export function chartScripts(): string {
  const lib = uplot();
  if (lib instanceof Error) return `<p class="fs-chart-error">Static charts: the chart library (npm package uplot) could not be read (${esc(lib.message)}).</p>`;
  return `<p class="fs-chart-hint"><small>Charts: hover for values, drag across a chart to zoom (double-click to reset), click a legend entry to hide or show its series.</small></p>
<script>/* uPlot ${esc(lib.version)}, MIT licence: https://github.com/leeoniya/uPlot */
${lib.js.replace(/<\/script/gi, '<\\/script')}</script>
<script>${CHART_SCRIPT}</script>`;
}
