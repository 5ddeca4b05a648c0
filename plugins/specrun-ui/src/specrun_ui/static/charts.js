/* Hand-written SVG charts for specrun ui: line charts (log scale, bands, marks, lineage
   connectors, a hover readout) and parallel coordinates. No library, nothing from a CDN. */
(function () {
"use strict";
const SVGNS = "http://www.w3.org/2000/svg";
const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04",
                 "#db2777", "#4b5563", "#65a30d", "#7c3aed", "#0d9488"];

function svgEl(tag, attrs, parent) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (parent) parent.appendChild(el);
  return el;
}

function niceTicks(lo, hi, count) {
  if (!isFinite(lo) || !isFinite(hi)) return [];
  if (lo === hi) { return [lo]; }
  const span = hi - lo, raw = span / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => span / s <= count) || mag * 10;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function fmtNum(v) {
  if (v === null || v === undefined || !isFinite(v)) return "";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return +v.toPrecision(4) + "";
}

function scale(lo, hi, a, b, log) {
  if (log) {
    const l0 = Math.log10(lo), l1 = Math.log10(hi);
    return v => (v > 0 ? a + (Math.log10(v) - l0) / ((l1 - l0) || 1) * (b - a) : NaN);
  }
  return v => a + (v - lo) / ((hi - lo) || 1) * (b - a);
}

/* traces: [{label, x, y, lo?, hi?, color?, dashed?, endMark?: "x", from?: {x, y}}] */
function lineChart(container, traces, opts) {
  opts = opts || {};
  const W = opts.width || 440, H = opts.height || 240;
  const m = {l: 52, r: 12, t: opts.title ? 22 : 10, b: 34};
  container.innerHTML = "";
  const svg = svgEl("svg", {class: "chart", width: W, height: H, viewBox: `0 0 ${W} ${H}`,
                            "data-traces": traces.length}, container);
  if (opts.title) { const t = svgEl("text", {x: m.l, y: 15, "font-weight": 600}, svg); t.textContent = opts.title; }
  const xs = [], ys = [];
  for (const tr of traces) {
    tr.x.forEach((x, i) => {
      const y = tr.y[i];
      if (y === null || !isFinite(y) || (opts.log && y <= 0)) return;
      xs.push(x); ys.push(y);
      if (tr.lo && tr.hi && !opts.log) { ys.push(tr.lo[i], tr.hi[i]); }
    });
  }
  if (!xs.length) {
    const t = svgEl("text", {x: W / 2, y: H / 2, "text-anchor": "middle"}, svg);
    t.textContent = "no points yet"; return svg;
  }
  let x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { const d = Math.abs(y0) * 0.05 || 1; y0 -= d; y1 += d; }
  if (!opts.log) { const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad; }
  const sx = scale(x0, x1, m.l, W - m.r, false), sy = scale(y0, y1, H - m.b, m.t, !!opts.log);
  const axes = svgEl("g", {class: "axis"}, svg);
  svgEl("line", {x1: m.l, y1: H - m.b, x2: W - m.r, y2: H - m.b}, axes);
  svgEl("line", {x1: m.l, y1: m.t, x2: m.l, y2: H - m.b}, axes);
  const intX = xs.every(Number.isInteger);
  for (const v of niceTicks(x0, x1, 6).filter(v => !intX || Number.isInteger(v))) {
    svgEl("line", {x1: sx(v), x2: sx(v), y1: H - m.b, y2: H - m.b + 4}, axes);
    const t = svgEl("text", {x: sx(v), y: H - m.b + 15, "text-anchor": "middle"}, axes); t.textContent = fmtNum(v);
  }
  let yt;
  if (opts.log) {
    yt = [];
    for (let e = Math.floor(Math.log10(y0)); e <= Math.ceil(Math.log10(y1)); e++) {
      for (const k of [1, 2, 5]) { const v = k * Math.pow(10, e); if (v >= y0 && v <= y1) yt.push(v); }
    }
    if (yt.length < 2) yt = niceTicks(y0, y1, 4).filter(v => v > 0);  // a narrow range: plain ticks
  } else yt = niceTicks(y0, y1, 5);
  for (const v of yt) {
    svgEl("line", {class: "grid-line", x1: m.l, x2: W - m.r, y1: sy(v), y2: sy(v)}, svg);
    const t = svgEl("text", {x: m.l - 5, y: sy(v) + 3, "text-anchor": "end"}, axes); t.textContent = fmtNum(v);
  }
  if (opts.xLabel) {
    const t = svgEl("text", {x: (m.l + W - m.r) / 2, y: H - 4, "text-anchor": "middle"}, svg); t.textContent = opts.xLabel;
  }
  const ok = (x, y) => y !== null && isFinite(y) && !(opts.log && y <= 0);
  traces.forEach((tr, k) => {
    const color = tr.color || PALETTE[k % PALETTE.length];
    if (tr.lo && tr.hi && !opts.log && tr.lo.some((v, i) => v !== tr.hi[i])) {
      const top = tr.x.map((x, i) => `${sx(x)},${sy(tr.hi[i])}`);
      const bottom = tr.x.map((x, i) => `${sx(x)},${sy(tr.lo[i])}`).reverse();
      svgEl("polygon", {class: "band", fill: color, points: top.concat(bottom).join(" ")}, svg);
    }
    if (tr.from && ok(tr.from.x, tr.from.y) && tr.x.length && ok(tr.x[0], tr.y[0])) {
      svgEl("path", {class: "lineage", stroke: color, "data-label": tr.label,
                     "data-from-step": tr.from.x, "data-to-step": tr.x[0],
                     d: `M${sx(tr.from.x)},${sy(tr.from.y)}L${sx(tr.x[0])},${sy(tr.y[0])}`}, svg);
    }
    let d = "", pen = false;
    tr.x.forEach((x, i) => {
      if (!ok(x, tr.y[i])) { pen = false; return; }
      d += `${pen ? "L" : "M"}${sx(x).toFixed(1)},${sy(tr.y[i]).toFixed(1)}`; pen = true;
    });
    const path = svgEl("path", {class: "trace", d, stroke: color, "data-label": tr.label,
                                "data-points": tr.x.length}, svg);
    if (tr.dashed) path.setAttribute("stroke-dasharray", "5 3");
    svgEl("title", {}, path).textContent = tr.label;
    if (tr.x.length === 1 && ok(tr.x[0], tr.y[0])) {
      svgEl("circle", {cx: sx(tr.x[0]), cy: sy(tr.y[0]), r: 3, fill: color}, svg);
    }
    if (tr.endMark && tr.x.length) {
      const i = tr.x.length - 1, cx = sx(tr.x[i]), cy = sy(tr.y[i]);
      if (isFinite(cy)) {
        const g = svgEl("g", {class: "end-mark", stroke: color, "stroke-width": 2}, svg);
        svgEl("line", {x1: cx - 4, y1: cy - 4, x2: cx + 4, y2: cy + 4}, g);
        svgEl("line", {x1: cx - 4, y1: cy + 4, x2: cx + 4, y2: cy - 4}, g);
        svgEl("title", {}, g).textContent = `${tr.label}: ${tr.endMark}`;
      }
    }
  });
  const legend = document.createElement("div");
  legend.className = "legend";
  if (traces.length > 1 || opts.legend) {
    traces.forEach((tr, k) => {
      const s = document.createElement("span");
      s.style.setProperty("--c", tr.color || PALETTE[k % PALETTE.length]);
      s.textContent = tr.label; legend.appendChild(s);
    });
  }
  const readout = document.createElement("div");
  readout.className = "readout";
  container.appendChild(legend); container.appendChild(readout);
  const hover = svgEl("line", {class: "hover-line", y1: m.t, y2: H - m.b, visibility: "hidden"}, svg);
  svg.addEventListener("mousemove", ev => {
    const r = svg.getBoundingClientRect();
    const px = (ev.clientX - r.left) * W / r.width;
    const xv = x0 + (px - m.l) / (W - m.l - m.r) * (x1 - x0);
    hover.setAttribute("x1", px); hover.setAttribute("x2", px); hover.setAttribute("visibility", "visible");
    const parts = traces.map(tr => {
      let best = -1, dist = Infinity;
      tr.x.forEach((x, i) => { const dd = Math.abs(x - xv); if (dd < dist) { dist = dd; best = i; } });
      return best < 0 ? "" : `${tr.label}: ${fmtNum(tr.y[best])} @ ${fmtNum(tr.x[best])}`;
    });
    readout.textContent = parts.filter(Boolean).slice(0, 6).join("  ·  ");
  });
  svg.addEventListener("mouseleave", () => { hover.setAttribute("visibility", "hidden"); readout.textContent = ""; });
  return svg;
}

/* axes: [{name, values: [...per line], log?, categorical?}], lines colored by the last axis. */
function parallelCoords(container, axes, opts) {
  opts = opts || {};
  const W = opts.width || Math.max(520, Math.min(container.clientWidth - 24 || 900, axes.length * 260)), H = opts.height || 300;
  const m = {l: 70, r: 70, t: 26, b: 22};
  container.innerHTML = "";
  const svg = svgEl("svg", {class: "chart parallel", width: W, height: H, viewBox: `0 0 ${W} ${H}`}, container);
  const n = axes.length ? axes[0].values.length : 0;
  const xAt = i => m.l + i * (W - m.l - m.r) / Math.max(1, axes.length - 1);
  const ys = axes.map(ax => {
    const vals = ax.values.filter(v => v !== null && v !== undefined);
    const numeric = !ax.categorical && vals.every(v => typeof v === "number");
    if (!numeric) {
      const cats = [...new Set(vals.map(v => JSON.stringify(v)))].sort();
      const f = v => v === null || v === undefined ? NaN
        : H - m.b - (cats.indexOf(JSON.stringify(v)) + 0.5) / cats.length * (H - m.t - m.b);
      return {f, ticks: cats.map(c => [JSON.parse(c), f(JSON.parse(c))])};
    }
    let lo = Math.min(...vals), hi = Math.max(...vals);
    const log = ax.log && lo > 0;
    if (lo === hi) { lo -= 1; hi += 1; }
    const f0 = scale(lo, hi, H - m.b, m.t, log);
    const ticks = log ? [lo, Math.sqrt(lo * hi), hi] : [lo, (lo + hi) / 2, hi];
    return {f: v => (v === null || v === undefined ? NaN : f0(v)), ticks: ticks.map(t => [t, f0(t)]), lo, hi};
  });
  const color = axes.length ? ys[ys.length - 1] : null;
  const last = axes[axes.length - 1];
  for (let j = 0; j < n; j++) {
    let d = "", pen = false;
    axes.forEach((ax, i) => {
      const y = ys[i].f(ax.values[j]);
      if (!isFinite(y)) { pen = false; return; }
      d += `${pen ? "L" : "M"}${xAt(i)},${y}`; pen = true;
    });
    let c = "#9ca3af";
    const v = last.values[j];
    if (color && typeof v === "number" && color.hi !== undefined) {
      const u = (v - color.lo) / ((color.hi - color.lo) || 1);
      c = `hsl(${Math.round(10 + 200 * u)}, 70%, 45%)`;
    }
    const p = svgEl("path", {class: "pc-line", d, fill: "none", stroke: c, "stroke-width": 1.6, opacity: 0.85}, svg);
    if (opts.titles) svgEl("title", {}, p).textContent = opts.titles[j];
  }
  axes.forEach((ax, i) => {
    const g = svgEl("g", {class: "pc-axis axis", "data-param": ax.name}, svg);
    svgEl("line", {x1: xAt(i), x2: xAt(i), y1: m.t, y2: H - m.b}, g);
    const t = svgEl("text", {x: xAt(i), y: 14, "text-anchor": "middle", "font-weight": 600}, g);
    t.textContent = ax.name;
    for (const [v, y] of ys[i].ticks) {
      const tt = svgEl("text", {x: xAt(i) + 5, y: y + 3}, g);
      tt.textContent = typeof v === "number" ? fmtNum(v) : String(v);
    }
  });
  return svg;
}

window.specrunCharts = {lineChart, parallelCoords, PALETTE, fmtNum};
})();
