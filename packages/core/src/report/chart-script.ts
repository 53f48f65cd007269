/**
 * The script a page runs once, after the chart library, to draw every `<figure class="fs-chart">` of
 * the page from the JSON it holds (see chart.ts for its fields): one uPlot per figure, with the values
 * at the cursor in the legend, drag to zoom (double-click resets), a click on a legend entry to hide or
 * show a series (its band with it), bands filled between their bounds, log scales where asked. A chart
 * that cannot be drawn (the library missing, bad data) says why and shows the static chart kept in its
 * `<noscript>`. When done, `document.body.dataset.charts` is 'drawn' or 'failed' and
 * `data-charts-drawn` / `data-charts-failed` count them; each figure's `fsChart` is its uPlot (the
 * browser test reads these).
 *
 * Plain ES2020 in a string: it goes into the page as it is, never through a compiler.
 */
export const CHART_SCRIPT = String.raw`(function () {
  'use strict';
  var drawn = 0, failed = 0;
  function fmt(v) {
    if (v == null || !isFinite(v)) return '--';
    var a = Math.abs(v);
    return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  }
  function tick(v) {
    if (v == null) return '';
    var a = Math.abs(v);
    return a !== 0 && (a >= 1e5 || a < 1e-2) ? v.toExponential(1) : String(Number(v.toPrecision(3)));
  }
  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16 & 255) + ',' + (n >> 8 & 255) + ',' + (n & 255) + ',' + a + ')';
  }
  function draw(fig, spec) {
    var data = [spec.x], series = [{ label: spec.xLabel, value: function (u, v) { return fmt(v); } }], bands = [], links = {};
    spec.series.forEach(function (s) {
      var i = data.length;
      data.push(s.y);
      series.push({
        label: s.label, stroke: s.color, width: s.dashed ? 1.25 : 2, dash: s.dashed ? [5, 3] : undefined, spanGaps: true,
        value: s.low ? function (u, v, si, idx) { return idx == null || v == null ? fmt(v) : fmt(v) + ' [' + fmt(s.low[idx]) + ', ' + fmt(s.high[idx]) + ']'; } : function (u, v) { return fmt(v); },
      });
      if (s.low) {
        data.push(s.high, s.low);
        var bound = { label: s.label, class: 'fs-bound', stroke: 'transparent', width: 0, spanGaps: true, points: { show: false } };
        series.push(bound, Object.assign({}, bound));
        bands.push({ series: [i + 1, i + 2], fill: alpha(s.color, 0.16) });
        links[i] = [i + 1, i + 2];
      }
    });
    var opts = {
      title: spec.title, width: spec.width, height: spec.height, series: series, bands: bands,
      scales: { x: { time: false }, y: spec.log ? { distr: 3, log: 10 } : {} },
      axes: [{ label: spec.xLabel, values: function (u, vs) { return vs.map(tick); } }, { size: 64, values: function (u, vs) { return vs.map(tick); } }],
      cursor: { drag: { x: true, y: false } },
      hooks: {
        setSeries: [function (u, si) {
          if (si == null || !links[si]) return;
          links[si].forEach(function (j) { if (u.series[j].show !== u.series[si].show) u.setSeries(j, { show: u.series[si].show }, false); });
        }],
      },
    };
    return new uPlot(opts, data, fig);
  }
  document.querySelectorAll('figure.fs-chart').forEach(function (fig) {
    var spec;
    try {
      if (typeof uPlot !== 'function') throw new Error('the chart library did not load');
      spec = JSON.parse(fig.querySelector('script.fs-chart-data').textContent);
      var holder = document.createElement('div');
      fig.insertBefore(holder, fig.firstChild);
      fig.fsChart = draw(holder, spec);
      drawn++;
    } catch (e) {
      failed++;
      console.error('flatsparse: chart ' + JSON.stringify(spec ? spec.title : fig.dataset.title) + ' not drawn: ' + (e && e.message));
      var note = document.createElement('p');
      note.className = 'fs-chart-error';
      note.textContent = 'Interactive chart not drawn (' + (e && e.message) + '); the static chart:';
      var fallback = document.createElement('div');
      var ns = fig.querySelector('noscript');
      fallback.innerHTML = ns ? ns.textContent : '';
      fig.append(note, fallback);
    }
  });
  document.body.dataset.charts = failed ? 'failed' : 'drawn';
  document.body.dataset.chartsDrawn = String(drawn);
  document.body.dataset.chartsFailed = String(failed);
})();`;
