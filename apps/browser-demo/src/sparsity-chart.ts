/** One point per logged step. */
export interface ChartPoint {
  readonly step: number;
  readonly sparsity: number;
  readonly loss: number;
}

const NS = 'http://www.w3.org/2000/svg';
const PAD = { left: 44, right: 48, top: 12, bottom: 28 };

function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * A live line chart in an <svg>: activation sparsity (left axis, 0 to 1) and loss (right axis, 0 to
 * its maximum so far) against the step. Redrawn on every point; `data-points` counts the points.
 */
export function sparsityChart(svg: SVGSVGElement, totalSteps: number): { add(point: ChartPoint): void; reset(): void } {
  const width = Number(svg.getAttribute('width'));
  const height = Number(svg.getAttribute('height'));
  const points: ChartPoint[] = [];
  const x = (step: number) => PAD.left + ((width - PAD.left - PAD.right) * step) / Math.max(1, totalSteps - 1);
  const y = (v: number, max: number) => height - PAD.bottom - ((height - PAD.top - PAD.bottom) * v) / max;
  const draw = (): void => {
    svg.replaceChildren();
    const maxLoss = Math.max(1e-9, ...points.map((p) => p.loss));
    svg.append(el('line', { x1: PAD.left, y1: height - PAD.bottom, x2: width - PAD.right, y2: height - PAD.bottom, stroke: '#999' }));
    for (const v of [0, 0.5, 1]) {
      svg.append(el('text', { x: PAD.left - 6, y: y(v, 1) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#1f5fbf' }, v.toFixed(1)));
      svg.append(el('text', { x: width - PAD.right + 6, y: y(v * maxLoss, maxLoss) + 4, 'font-size': 11, fill: '#c25e00' }, (v * maxLoss).toFixed(2)));
    }
    svg.append(el('text', { x: (PAD.left + width - PAD.right) / 2, y: height - 6, 'text-anchor': 'middle', 'font-size': 11, fill: '#555' }, `step (of ${totalSteps})`));
    const line = (value: (p: ChartPoint) => number, max: number, colour: string, cls: string) =>
      svg.append(el('polyline', { class: cls, fill: 'none', stroke: colour, 'stroke-width': 2, points: points.map((p) => `${x(p.step).toFixed(1)},${y(value(p), max).toFixed(1)}`).join(' ') }));
    line((p) => p.sparsity, 1, '#1f5fbf', 'sparsity');
    line((p) => p.loss, maxLoss, '#c25e00', 'loss');
    svg.dataset.points = String(points.length);
  };
  draw();
  return {
    add(point) {
      points.push(point);
      draw();
    },
    reset() {
      points.length = 0;
      draw();
    },
  };
}
