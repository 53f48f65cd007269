/** One line of a chart. */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** Dashed line (used for per-layer series under a bold mean, and for held-out next to train). */
  readonly dashed?: boolean;
  /** Colour as '#rrggbb' (default: the next of the palette). */
  readonly color?: string;
  /** A band around the line, drawn filled: [x, low, high] at each x (for example the spread over seeds). */
  readonly band?: readonly (readonly [number, number, number])[];
  /** What the band is, shown with the series' name in the legend ('min..max of 3 seeds'). */
  readonly bandLabel?: string;
}

/** A line chart: its title, series and axes. */
export interface ChartOptions {
  readonly title: string;
  readonly series: readonly ChartSeries[];
  readonly xLabel?: string;
  /** 'log' needs every y > 0; 'auto' picks log when the positive values span more than 30x. */
  readonly yScale?: 'linear' | 'log' | 'auto';
  readonly width?: number;
  readonly height?: number;
}

/** The colours series take in turn. */
export const CHART_PALETTE: readonly string[] = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** A series ready to draw: its colour chosen, its non-finite points (and band points) dropped. */
export interface CleanSeries extends ChartSeries {
  readonly color: string;
}

/** The series with points to draw, each with its colour (non-finite points dropped, empty series left out). */
export function cleanSeries(series: readonly ChartSeries[]): CleanSeries[] {
  const finite = (...v: number[]) => v.every((n) => Number.isFinite(n));
  return series
    .map((s, i) => ({
      ...s,
      color: s.color ?? CHART_PALETTE[i % CHART_PALETTE.length]!,
      points: s.points.filter(([x, y]) => finite(x, y)),
      ...(s.band ? { band: s.band.filter(([x, lo, hi]) => finite(x, lo, hi)) } : {}),
    }))
    .filter((s) => s.points.length > 0);
}

/** Whether the chart's y axis is logarithmic: asked for ('log', or 'auto' with a spread over 30x) and every value positive. */
export function isLogScale(series: readonly CleanSeries[], yScale: ChartOptions['yScale']): boolean {
  const ys = series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.band ?? []).flatMap((b) => [b[1], b[2]])]);
  if (ys.length === 0 || !ys.every((y) => y > 0)) return false;
  return yScale === 'log' || (yScale === 'auto' && Math.max(...ys) / Math.min(...ys) > 30);
}

/** At most `max` items, evenly spaced, the first and last kept (a static chart needs no more). */
function thin<T>(items: readonly T[], max: number): readonly T[] {
  if (items.length <= max) return items;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.round((i * (items.length - 1)) / (max - 1))]!);
  return out;
}

/**
 * A line chart as a self-contained SVG string (no scripts, no external resources): the static chart a
 * page shows where scripts do not run. Non-finite points are dropped, an empty chart says so; each
 * series is thinned to at most 300 points.
 */
export function staticLineChart(options: ChartOptions): string {
  const width = options.width ?? 560;
  const height = options.height ?? 300;
  const m = { left: 64, right: 150, top: 28, bottom: 40 };
  const series = cleanSeries(options.series).map((s) => ({ ...s, points: thin(s.points, 300), band: s.band && thin(s.band, 300) }));
  const all = series.flatMap((s) => s.points);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(options.title)}">`;
  const title = `<text x="${m.left}" y="18" font-size="14" font-weight="bold">${esc(options.title)}</text>`;
  if (all.length === 0) return `${head}${title}<text x="${m.left}" y="${height / 2}" font-size="12">no data</text></svg>`;
  const log = isLogScale(series, options.yScale);
  const ys = [...all.map((p) => p[1]), ...series.flatMap((s) => (s.band ?? []).flatMap((b) => [b[1], b[2]]))];
  const ty = (y: number) => (log ? Math.log10(y) : y);
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...ys.map(ty)), Math.max(...ys.map(ty))];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - (Math.abs(y0) || 1) * 0.1, y1 + (Math.abs(y1) || 1) * 0.1];
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.top + ph - ((ty(y) - y0) / (y1 - y0)) * ph;
  const ticks = Array.from({ length: 5 }, (_, i) => y0 + ((y1 - y0) * i) / 4);
  const yTicks = ticks
    .map((t) => {
      const y = m.top + ph - ((t - y0) / (y1 - y0)) * ph;
      const label = log ? formatNumber(10 ** t) : formatNumber(t);
      return `<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${m.left - 6}" y="${y + 4}" font-size="10" text-anchor="end">${label}</text>`;
    })
    .join('');
  const xTicks = Array.from({ length: 5 }, (_, i) => x0 + ((x1 - x0) * i) / 4)
    .map((t) => `<text x="${sx(t)}" y="${m.top + ph + 14}" font-size="10" text-anchor="middle">${formatNumber(t)}</text>`)
    .join('');
  const xy = (x: number, y: number) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
  const bands = series
    .filter((s) => s.band && s.band.length > 0)
    .map((s) => `<path d="M${[...s.band!.map(([x, , hi]) => xy(x, hi)), ...[...s.band!].reverse().map(([x, lo]) => xy(x, lo))].join('L')}Z" fill="${s.color}" fill-opacity="0.16" stroke="none"/>`)
    .join('');
  const lines = series
    .map((s, i) => {
      const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${xy(x, y)}`).join('');
      const dots = s.points.length === 1 ? `<circle cx="${sx(s.points[0]![0])}" cy="${sy(s.points[0]![1])}" r="3" fill="${s.color}"/>` : '';
      const legendY = m.top + 4 + i * 14;
      const dash = s.dashed ? ' stroke-dasharray="4 3"' : '';
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.dashed ? 1 : 2}"${dash}/>${dots}` +
        `<line x1="${m.left + pw + 10}" x2="${m.left + pw + 24}" y1="${legendY}" y2="${legendY}" stroke="${s.color}" stroke-width="2"${dash}/>` +
        `<text x="${m.left + pw + 28}" y="${legendY + 4}" font-size="10">${esc(legendLabel(s))}</text>`;
    })
    .join('');
  const axes = `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>` +
    `<text x="${m.left + pw / 2}" y="${height - 6}" font-size="11" text-anchor="middle">${esc(axisLabel(options.xLabel, log))}</text>`;
  return `${head}${title}${yTicks}${xTicks}${axes}${bands}${lines}</svg>`;
}

/** The x axis label, saying when y is on a log scale. */
export function axisLabel(xLabel: string | undefined, log: boolean): string {
  return `${xLabel ?? 'step'}${log ? ' (y: log scale)' : ''}`;
}

/** A series' name in the legend, with what its band is. */
export function legendLabel(s: ChartSeries): string {
  return s.band && s.band.length > 0 && s.bandLabel ? `${s.name} (band: ${s.bandLabel})` : s.name;
}

function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}

/** Escapes text for SVG/HTML. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
