/** One line of a chart. */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** Dashed line (used for per-layer series under a bold mean). */
  readonly dashed?: boolean;
}

/** A line chart as a self-contained SVG string (no scripts, no external resources). */
export interface ChartOptions {
  readonly title: string;
  readonly series: readonly ChartSeries[];
  readonly xLabel?: string;
  /** 'log' needs every y > 0; 'auto' picks log when the positive values span more than 30x. */
  readonly yScale?: 'linear' | 'log' | 'auto';
  readonly width?: number;
  readonly height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Renders a line chart; non-finite points are dropped, an empty chart says so. */
export function lineChart(options: ChartOptions): string {
  const width = options.width ?? 560;
  const height = options.height ?? 300;
  const m = { left: 64, right: 150, top: 28, bottom: 40 };
  const series = options.series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) })).filter((s) => s.points.length > 0);
  const all = series.flatMap((s) => s.points);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(options.title)}">`;
  const title = `<text x="${m.left}" y="18" font-size="14" font-weight="bold">${esc(options.title)}</text>`;
  if (all.length === 0) return `${head}${title}<text x="${m.left}" y="${height / 2}" font-size="12">no data</text></svg>`;
  const ys = all.map((p) => p[1]);
  const positive = ys.every((y) => y > 0);
  const spread = positive ? Math.max(...ys) / Math.min(...ys) : 0;
  const log = options.yScale === 'log' ? positive : options.yScale === 'auto' ? positive && spread > 30 : false;
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
  const lines = series
    .map((s, i) => {
      const color = PALETTE[i % PALETTE.length];
      const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      const dots = s.points.length === 1 ? `<circle cx="${sx(s.points[0]![0])}" cy="${sy(s.points[0]![1])}" r="3" fill="${color}"/>` : '';
      const legendY = m.top + 4 + i * 14;
      return `<path d="${d}" fill="none" stroke="${color}" stroke-width="${s.dashed ? 1 : 2}"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>${dots}` +
        `<line x1="${m.left + pw + 10}" x2="${m.left + pw + 24}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>` +
        `<text x="${m.left + pw + 28}" y="${legendY + 4}" font-size="10">${esc(s.name)}</text>`;
    })
    .join('');
  const axes = `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>` +
    `<text x="${m.left + pw / 2}" y="${height - 6}" font-size="11" text-anchor="middle">${esc(options.xLabel ?? 'step')}${log ? ' (y: log scale)' : ''}</text>`;
  return `${head}${title}${yTicks}${xTicks}${axes}${lines}</svg>`;
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
