/**
 * Time-series charts with uPlot, loaded only when a chart is first drawn. Each chart has a caption,
 * an HTML legend and a text summary: the canvas itself says nothing to a screen reader.
 */
import { html, useEffect, useRef } from '../lib/html.js';

/** Colour per variation, in order: distinguishable, and each at least 3:1 against white. */
export const PALETTE = ['#0969da', '#bc4c00', '#1a7f37', '#8250df', '#bf3989', '#0a7ea4', '#6e7781', '#9a6700'];

/**
 * uPlot and its style sheet, on first use: a style sheet in the page's head would hold every
 * script of every page until it loaded, charts or not.
 */
function loadStyle(href) {
  return new Promise((resolve) => {
    const link = Object.assign(document.createElement('link'), { rel: 'stylesheet', href });
    link.onload = link.onerror = () => resolve();
    document.head.append(link);
  });
}
let uPlotModule = null;
const loadUPlot = () =>
  (uPlotModule ??= Promise.all([import('../../vendor/uplot.mjs'), loadStyle('/dashboard/vendor/uplot.css')]).then(([m]) => m.default));

/**
 * `x`: UTC day starts in seconds. `lines`: [{label, color, values, lower?, upper?}], where lower
 * and upper draw the line's interval band. `format` turns a y value into axis text. `yRange`
 * fixes the y axis (so that the wide intervals of the first days do not flatten the rest).
 */
export function Chart({ title, summary, x, lines, format, yRange = null, height = 220 }) {
  const box = useRef(null);
  useEffect(() => {
    let plot = null;
    let cancelled = false;
    let resize = null;
    loadUPlot().then((uPlot) => {
      if (cancelled || !box.current) return;
      const series = [{}];
      const data = [x];
      const bands = [];
      for (const line of lines) {
        if (line.lower && line.upper) {
          const upper = series.length;
          series.push({ label: `${line.label} upper`, stroke: 'transparent', points: { show: false } });
          data.push(line.upper);
          series.push({ label: `${line.label} lower`, stroke: 'transparent', points: { show: false } });
          data.push(line.lower);
          bands.push({ series: [upper, upper + 1], fill: `${line.color}22` });
        }
        series.push({ label: line.label, stroke: line.color, width: 2, points: { show: x.length < 40 } });
        data.push(line.values);
      }
      const width = () => Math.max(320, box.current?.clientWidth ?? 600);
      plot = new uPlot(
        {
          width: width(),
          height,
          legend: { show: false },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true }, y: yRange ? { range: () => yRange } : {} },
          axes: [{ stroke: '#3d444d', grid: { stroke: '#eaeef2' } }, { stroke: '#3d444d', grid: { stroke: '#eaeef2' }, values: (_u, ticks) => ticks.map(format), size: 70 }],
          series,
          bands,
        },
        data,
        box.current,
      );
      resize = () => plot?.setSize({ width: width(), height });
      window.addEventListener('resize', resize);
    });
    return () => {
      cancelled = true;
      if (resize) window.removeEventListener('resize', resize);
      plot?.destroy();
    };
  }, [x, lines, format, yRange, height]);

  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <ul class="legend">
      ${lines.map((l) => html`<li><svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" rx="3" fill=${l.color} /></svg>${l.label}${l.lower ? ' (band: its interval)' : ''}</li>`)}
    </ul>
    <div class="plot" ref=${box} aria-hidden="true"></div>
    <p class="visually-hidden">${summary}</p>
  </figure>`;
}
