/* specrun ui: a single page over the JSON API; the hash is the page and its query. */
"use strict";
const {lineChart, parallelCoords, fmtNum} = window.specrunCharts;
const POLL_MS = 1500;
let pollTimer = null, pageToken = 0;

const app = () => document.getElementById("app");
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "html") el.innerHTML = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}
function showError(msg) {
  const box = document.getElementById("error");
  box.hidden = !msg; box.textContent = msg || "";
}
async function api(path) {
  const r = await fetch(path, {headers: {accept: "application/json"}});
  let data;
  try { data = await r.json(); } catch (e) { throw new Error(`${r.status} ${r.statusText}`); }
  if (!r.ok) throw new Error(data.error || `${r.status} ${r.statusText}`);
  return data;
}
function poll(fn) {
  clearInterval(pollTimer);
  const mine = pageToken;
  document.getElementById("live").textContent = "live";
  pollTimer = setInterval(() => { if (mine === pageToken) fn().catch(e => showError(e.message)); }, POLL_MS);
}
const status = s => h("span", {class: `status ${s}`}, s);
const fmtTime = t => (t ? t.replace("T", " ").slice(0, 19) : "");
const fmtDur = s => (s === null || s === undefined ? "" : s < 120 ? `${s.toFixed(1)}s` : `${(s / 60).toFixed(1)}m`);
const fmtVal = v => (typeof v === "number" ? fmtNum(v) : v === null || v === undefined ? "" :
                     typeof v === "object" ? JSON.stringify(v) : String(v));
const runLink = (id, text) => h("a", {href: `#/run/${id}`}, text || id);
function table(headers, rows, opts) {
  opts = opts || {};
  const t = h("table", {class: "grid", id: opts.id || null});
  t.append(h("thead", {}, h("tr", {}, headers.map(x => (x instanceof Node ? x : h("th", {}, x))))));
  const body = h("tbody");
  rows.forEach(r => body.append(h("tr", {}, r.map(c => (c instanceof Node && c.tagName === "TD" ? c : h("td", {}, c))))));
  t.append(body);
  return h("div", {class: "scroll"}, t);
}
const num = v => h("td", {class: "num"}, fmtVal(v));
function ema(ys, alpha) {
  if (!alpha) return ys;
  let s = null;
  return ys.map(y => (y === null ? null : (s = s === null ? y : alpha * s + (1 - alpha) * y)));
}
function section(title, ...body) { return h("section", {}, h("h2", {}, title), ...body); }

/* ---------------------------------------------------------------- runs */
function runsQuery(params) {
  const q = new URLSearchParams();
  for (const k of ["name", "tag", "status", "sweep", "sort", "offset", "limit"]) if (params.get(k)) q.set(k, params.get(k));
  for (const w of (params.get("where") || "").split(/\s*;\s*|\s+and\s+/i)) if (w.trim()) q.append("where", w.trim());
  if (params.get("cols")) q.set("cols", params.get("cols"));
  return q;
}
async function runsPage(params) {
  const selected = new Set((params.get("sel") || "").split(",").filter(Boolean));
  const field = (name, label, attrs) => h("label", {}, label,
    h("input", {id: `f-${name}`, name, value: params.get(name) || "", ...attrs}));
  const statusSel = h("select", {id: "f-status", name: "status"},
    ["", "running", "finished", "failed", "stopped", "interrupted"].map(s =>
      h("option", {value: s, selected: (params.get("status") || "") === s}, s || "any")));
  const form = h("form", {class: "bar", id: "filters"},
    field("where", "where (PATH OP VALUE; ...)", {class: "wide", placeholder: "model.lr<=0.1; eval/accuracy>0.5", list: "paths"}),
    field("sort", "sort (SPLIT/METRIC)", {placeholder: "eval/accuracy", list: "metrics"}),
    field("name", "name", {placeholder: "quick*"}), field("tag", "tag", {size: 8}),
    h("label", {}, "status", statusSel), field("sweep", "sweep", {size: 10}),
    field("cols", "extra columns", {placeholder: "model.l2, eval/macro_f1", list: "paths"}),
    h("button", {class: "primary", type: "submit", id: "apply"}, "Apply"));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const el of form.querySelectorAll("input, select")) if (el.value.trim()) q.set(el.name, el.value.trim());
    location.hash = `#/runs?${q}`;
  });
  const compareBtn = h("button", {id: "compare", disabled: true, onclick: () => {
    location.hash = `#/compare?runs=${[...selected].join(",")}`; }}, "Compare selected");
  const samplesBtn = h("button", {id: "samples", disabled: true, onclick: () => {
    location.hash = `#/samples?runs=${[...selected].join(",")}`; }}, "Samples side by side");
  const counter = h("span", {class: "muted", id: "selected-count"});
  const holder = h("div", {id: "runs"});
  const lists = h("div", {}, h("datalist", {id: "paths"}), h("datalist", {id: "metrics"}));
  app().replaceChildren(h("h1", {}, "Runs"), form, h("div", {class: "bar"}, compareBtn, samplesBtn, counter), holder, lists);
  const syncButtons = () => {
    compareBtn.disabled = selected.size < 2; samplesBtn.disabled = selected.size < 1;
    counter.textContent = selected.size ? `${selected.size} selected` : "";
  };
  syncButtons();
  api("api/columns").then(c => {
    lists.querySelector("#paths").replaceChildren(...c.params.concat(c.metrics).map(p => h("option", {value: p})));
    lists.querySelector("#metrics").replaceChildren(...c.metrics.map(p => h("option", {value: p})));
  }).catch(() => {});
  let last = "";
  const load = async () => {
    const data = await api(`api/runs?${runsQuery(params)}`);
    const key = JSON.stringify(data);
    if (key === last) return;
    last = key;
    showError("");
    const sortCol = data.sort_column;
    const sortHeader = col => {
      const cur = (params.get("sort") || "").replace(/^[+-]/, "");
      const th = h("th", {class: `sortable${cur === col ? " sorted" : ""}${(params.get("sort") || "").startsWith("+") && cur === col ? " asc" : ""}`,
                          "data-col": col}, col);
      th.addEventListener("click", () => {
        const q = new URLSearchParams(params);
        q.set("sort", cur === col && !(params.get("sort") || "").startsWith("+") ? `+${col}` : col);
        q.delete("offset"); location.hash = `#/runs?${q}`;
      });
      return th;
    };
    const mcols = data.metric_columns.slice();
    if (sortCol && !mcols.includes(sortCol)) mcols.unshift(sortCol);
    const headers = [h("th", {}, ""), "name", "run id", "status", "created", "duration", "tags",
                     ...data.param_columns, ...mcols.map(sortHeader)];
    const rows = data.rows.map(r => {
      const box = h("input", {type: "checkbox", class: "select", "data-run": r.run_id, checked: selected.has(r.run_id)});
      box.addEventListener("change", () => { box.checked ? selected.add(r.run_id) : selected.delete(r.run_id); syncButtons(); });
      return [h("td", {}, box), h("td", {}, runLink(r.run_id, r.name)), h("td", {class: "muted"}, r.run_id),
              h("td", {}, status(r.status)), fmtTime(r.created_at),
              r.status === "running" ? h("td", {class: "muted"}, r.step === null || r.step === undefined ? "starting" : `step ${r.step}`) : fmtDur(r.duration_s),
              h("td", {}, (r.tags || []).map(t => h("span", {class: "tag"}, t))),
              ...data.param_columns.map(p => num(r.params[p])),
              ...mcols.map(m => num(m === sortCol && r[m] !== undefined ? r[m] : r.metrics[m]))];
    });
    const off = data.offset, end = off + data.rows.length;
    const go = o => { const q = new URLSearchParams(params); q.set("offset", Math.max(0, o)); location.hash = `#/runs?${q}`; };
    const pager = h("div", {class: "pager"},
      h("button", {id: "prev", disabled: off === 0, onclick: () => go(off - data.limit)}, "‹ prev"),
      h("span", {id: "range"}, data.total ? `${off + 1}–${end} of ${data.total}` : "no runs match"),
      h("button", {id: "next", disabled: end >= data.total, onclick: () => go(off + data.limit)}, "next ›"));
    holder.replaceChildren(table(headers, rows, {id: "runs-table"}), pager);
  };
  await load();
  poll(load);
}

/* ---------------------------------------------------------------- one run */
function chartsByMetric(curves, opts) {
  const groups = {};
  for (const c of curves) (groups[c.name] = groups[c.name] || []).push(c);
  return Object.entries(groups).map(([name, cs]) => {
    const card = h("div", {class: "card chart-card", "data-metric": name}, h("h3", {}, name));
    const body = h("div");
    card.append(body);
    lineChart(body, cs.map(c => ({label: c.split, x: c.step, y: c.value, lo: c.lo, hi: c.hi})),
              {xLabel: "step", legend: true, ...opts});
    if (cs.some(c => c.downsampled)) card.append(h("div", {class: "muted"}, `downsampled from ${Math.max(...cs.map(c => c.n))} points`));
    return card;
  });
}
function kv(pairs) {
  return h("dl", {class: "kv"}, pairs.filter(p => p[1] !== null && p[1] !== undefined && p[1] !== "")
    .flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v instanceof Node ? v : fmtVal(v))]));
}
async function runPage(ref) {
  const holder = h("div");
  app().replaceChildren(holder);
  let lastStep = null, lastStatus = null;
  const load = async () => {
    const d = await api(`api/runs/${encodeURIComponent(ref)}`);
    const s = await api(`api/series?runs=${d.run.run_id}`);
    if (d.progress.points === lastStep && d.run.status === lastStatus) return;
    lastStep = d.progress.points; lastStatus = d.run.status;
    showError("");
    const run = d.run;
    const finalRows = Object.entries(d.metrics.final).map(([k, v]) =>
      [k, num(v.value), num(v.step), num((d.metrics.best[k] || {}).value), num((d.metrics.best[k] || {}).step)]);
    const artifacts = d.artifacts;
    const url = a => `api/runs/${run.run_id}/artifacts/${a.name.split("/").map(encodeURIComponent).join("/")}`;
    const parts = [
      h("h1", {}, run.name, " ", status(run.status)),
      kv([["run id", run.run_id], ["created", fmtTime(run.created_at)], ["duration", fmtDur(run.duration_s)],
          ["progress", run.status === "running" ? `step ${d.progress.step ?? 0}, ${d.progress.points} points` : null],
          ["sweep", d.sweep ? h("a", {href: `#/sweep/${d.sweep}`}, d.sweep) : null],
          ["parent", d.parent ? runLink(d.parent) : null],
          ["reruns", d.children.length ? h("span", {}, d.children.map(c => [runLink(c), " "])) : null],
          ["description", run.description], ["tags", (run.tags || []).join(", ")]]),
    ];
    if (run.error || run.traceback) {
      parts.push(section("Error", h("p", {class: "worse", id: "run-error"}, run.error || ""),
                         run.traceback ? h("pre", {class: "traceback", id: "traceback"}, run.traceback) : null));
    }
    const none = what => h("p", {class: "muted"}, `no ${what} recorded`);
    parts.push(section("Metrics", s.curves.length ? h("div", {class: "cards", id: "charts"}, chartsByMetric(s.curves)) : none("metrics")));
    if (finalRows.length) parts.push(section("Final and best", table(["metric", "final", "step", "best", "at step"], finalRows, {id: "final"})));
    const images = artifacts.filter(a => a.image);
    parts.push(section("Artifacts", artifacts.length ? null : none("artifacts"),
      images.length ? h("div", {class: "images"}, images.map(a => h("figure", {},
        h("img", {src: url(a), alt: a.name, loading: "lazy"}), h("figcaption", {}, a.name)))) : null,
      artifacts.length ? table(["name", "kind", "bytes", "sha256", ""], artifacts.map(a => [a.name, a.kind || "", num(a.bytes),
        h("td", {class: "muted"}, (a.sha256 || "").slice(0, 12)),
        h("a", {href: `${url(a)}?download=1`, download: a.name.split("/").pop()}, "download")]), {id: "artifacts"}) : null));
    if (d.samples.length) {
      parts.push(section(`Samples (${d.samples.length})`, table(["split", "idx", "input", "reference", "output"],
        d.samples.map(x => [x.split, num(x.idx), h("td", {class: "wrap"}, x.input ?? ""),
          h("td", {class: "wrap"}, x.reference ?? ""),
          h("td", {class: `wrap ${x.output === x.reference ? "better" : ""}`}, x.output ?? "")]), {id: "samples"})));
    }
    const params = Object.entries(d.params);
    parts.push(section("Params", h("details", {}, h("summary", {}, `${params.length} params of the resolved spec`),
      table(["path", "value"], params.map(([k, v]) => [k, fmtVal(v)]), {id: "params"}))));
    parts.push(section("Spec",
      kv([["spec file", run.spec_path], ["spec hash", run.spec_hash], ["data fingerprint", run.data_fingerprint],
          ["seed", run.seed], ["overrides", (run.overrides || []).join("  ") || "none"], ["mode", run.mode]]),
      h("div", {class: "cards"},
        h("div", {class: "card"}, h("h3", {}, "as written"), h("pre", {id: "spec-text"}, run.spec_text || "")),
        h("div", {class: "card"}, h("h3", {}, "resolved"), h("pre", {id: "spec-resolved"}, d.spec_yaml)))));
    const env = d.environment || {};
    parts.push(section("Environment", kv([["python", env.python], ["platform", env.platform], ["host", env.host],
      ["cpus", env.cpu_count], ["gpus", (env.gpus || []).join(", ") || "none"],
      ["git", env.git_commit ? `${env.git_commit}${env.git_dirty ? " (dirty)" : ""}` : null]]),
      env.packages ? h("details", {}, h("summary", {}, "packages"),
        table(["package", "version"], Object.entries(env.packages).map(([k, v]) => [k, fmtVal(v)]))) : null,
      run.plugin_versions ? h("details", {}, h("summary", {}, "plugin versions"), h("pre", {}, JSON.stringify(run.plugin_versions, null, 1))) : null));
    holder.replaceChildren(...parts);
    if (run.status !== "running") document.getElementById("live").textContent = "";
  };
  await load();
  poll(async () => { if (lastStatus === "running" || lastStatus === null) await load(); });
}

/* ---------------------------------------------------------------- compare */
async function comparePage(params) {
  const ids = params.get("runs") || "";
  const d = await api(`api/compare?runs=${encodeURIComponent(ids)}`);
  const labels = Object.fromEntries(d.runs.map(r => [r.run_id, r.label]));
  const runIds = d.runs.map(r => r.run_id);
  const metrics = d.metrics.map(m => m.metric);
  const pick = params.get("metric") || metrics.find(m => m.startsWith("eval/")) || metrics[0] || "";
  const ctl = {
    metric: h("select", {id: "c-metric"}, metrics.map(m => h("option", {value: m, selected: m === pick}, m))),
    x: h("select", {id: "c-x"}, h("option", {value: "step"}, "step"), h("option", {value: "t"}, "wall time (s)")),
    smooth: h("input", {id: "c-smooth", type: "range", min: 0, max: 0.95, step: 0.05, value: 0}),
    log: h("input", {id: "c-log", type: "checkbox"}),
  };
  const chart = h("div", {id: "compare-chart", class: "card"});
  let curves = [];
  const draw = () => {
    const x = ctl.x.value, alpha = +ctl.smooth.value;
    lineChart(chart, curves.map(c => ({label: `${labels[c.run_id] || c.run_id}`, x: c[x], y: ema(c.value, alpha)})),
              {width: 900, height: 340, log: ctl.log.checked, xLabel: x === "t" ? "seconds since start" : "step",
               title: ctl.metric.value, legend: true});
  };
  const loadCurves = async () => {
    const s = await api(`api/series?runs=${runIds.join(",")}&metric=${encodeURIComponent(ctl.metric.value)}&max_points=600`);
    curves = s.curves.filter(c => `${c.split}/${c.name}` === ctl.metric.value);
    draw();
  };
  ctl.metric.addEventListener("change", () => { const q = new URLSearchParams(params); q.set("metric", ctl.metric.value); history.replaceState(null, "", `#/compare?${q}`); loadCurves(); });
  for (const k of ["x", "smooth", "log"]) ctl[k].addEventListener("input", draw);
  const head = () => ["", ...d.runs.map(r => h("th", {}, runLink(r.run_id, r.label)))];
  const cell = v => (typeof v === "number" ? num(v) : h("td", {class: "wrap"}, fmtVal(v)));
  const specA = h("select", {id: "diff-a"}, runIds.map((r, i) => h("option", {value: r, selected: i === 0}, labels[r])));
  const specB = h("select", {id: "diff-b"}, runIds.map((r, i) => h("option", {value: r, selected: i === 1}, labels[r])));
  const diffBox = h("pre", {class: "diff", id: "spec-diff"});
  const renderDiff = text => {
    diffBox.replaceChildren(...(text ? text.split("\n") : ["(the resolved specs are identical)"]).map(line =>
      h("span", {class: line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : ""}, line + "\n")));
  };
  renderDiff(d.spec_diff);
  const rediff = async () => {
    const r = await api(`api/compare?runs=${specA.value},${specB.value}`);
    renderDiff(r.spec_diff);
  };
  specA.addEventListener("change", rediff); specB.addEventListener("change", rediff);
  app().replaceChildren(
    h("h1", {}, `Compare ${d.runs.length} runs`),
    h("div", {class: "bar"}, h("label", {}, "metric", ctl.metric), h("label", {}, "x axis", ctl.x),
      h("label", {}, "smoothing", ctl.smooth), h("label", {}, "log scale", ctl.log),
      h("button", {onclick: () => { location.hash = `#/samples?runs=${runIds.join(",")}`; }}, "Samples side by side")),
    chart,
    section("Params that differ", d.params.length ? table(["path", ...head().slice(1)],
      d.params.map(p => [p.path, ...runIds.map(id => cell(p.values[id]))]), {id: "param-diff"})
      : h("p", {class: "muted"}, "none: the runs share every param")),
    section("Metrics (final / best)", table(["metric", ...head().slice(1)], d.metrics.map(m =>
      [m.metric, ...runIds.map(id => h("td", {class: "num"}, `${fmtVal(m.final[id])} / `,
        h("span", {class: "muted"}, fmtVal((m.best[id] || {}).value))))]), {id: "metric-compare"})),
    section("Spec diff", h("div", {class: "bar"}, h("label", {}, "from", specA), h("label", {}, "to", specB)), diffBox));
  if (pick) await loadCurves();
  clearInterval(pollTimer);
  if (d.runs.some(r => r.status === "running")) poll(loadCurves);
}

/* ---------------------------------------------------------------- SQL */
function sqlPage(params) {
  const text = h("textarea", {id: "sql-text", spellcheck: "false"},
    params.get("q") || "SELECT name, status, count(*) AS runs FROM runs GROUP BY ALL ORDER BY runs DESC");
  const out = h("div", {id: "sql-result"});
  const links = h("span");
  const run = async () => {
    const q = text.value;
    history.replaceState(null, "", `#/sql?${new URLSearchParams({q})}`);
    try {
      const d = await api(`api/sql?${new URLSearchParams({q})}`);
      showError("");
      out.replaceChildren(h("p", {class: "muted", id: "sql-count"}, `${d.total} row(s)${d.truncated ? `, the first ${d.rows.length} shown` : ""}`),
        table(d.columns, d.rows.map(r => r.map(v => (typeof v === "number" ? num(v) : h("td", {class: "wrap"}, fmtVal(v))))), {id: "sql-grid"}));
      const enc = new URLSearchParams({q});
      links.replaceChildren(h("a", {id: "dl-csv", href: `api/sql/download?${enc}&format=csv`}, "CSV"), " · ",
                            h("a", {id: "dl-parquet", href: `api/sql/download?${enc}&format=parquet`}, "Parquet"));
    } catch (e) { out.replaceChildren(); links.replaceChildren(); showError(e.message); }
  };
  text.addEventListener("keydown", ev => { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) run(); });
  app().replaceChildren(h("h1", {}, "SQL"),
    h("p", {class: "muted"}, "Read-only: tables runs, params, metrics, metrics_final, artifacts, samples, environment, sweeps. Ctrl+Enter runs."),
    text, h("div", {class: "bar"}, h("button", {class: "primary", id: "sql-run", onclick: run}, "Run"), links), out);
  if (params.get("q")) run();
}

/* ---------------------------------------------------------------- sweeps */
async function sweepsPage() {
  let last = "";
  const load = async () => {
    const d = await api("api/sweeps");
    const key = JSON.stringify(d);
    if (key !== last) { last = key; renderSweeps(d); }
  };
  await load();
  poll(load);
}
function renderSweeps(d) {
  app().replaceChildren(h("h1", {}, "Sweeps"), d.sweeps.length ? table(
    ["sweep", "name", "status", "created", "metric", "trials", "best"],
    d.sweeps.map(s => [h("a", {href: `#/sweep/${s.sweep_id}`}, s.sweep_id), s.name, h("td", {}, status(s.status)),
      fmtTime(s.created_at), `${s.metric} (${s.mode})`, num(s.runs), num(s.best_value)]), {id: "sweeps-table"})
    : h("p", {class: "muted"}, "no sweeps in this store yet"));
}
async function sweepPage(ref) {
  const holder = h("div");
  app().replaceChildren(holder);
  let last = "";
  const load = async () => {
    const d = await api(`api/sweeps/${encodeURIComponent(ref)}`);
    const key = JSON.stringify(d);
    if (key === last) return;
    last = key;
    const sw = d.sweep, space = d.space;
    const trials = d.trials;
    const pcHolder = h("div", {id: "parallel", class: "card"});
    const curvesHolder = h("div", {id: "trial-curves", class: "card"});
    const bestHolder = h("div", {id: "best-so-far", class: "card"});
    const ids = trials.map(t => t.run_id);
    const label = t => `trial ${t.trial_index ?? "?"} (${t.run_id.slice(0, 6)})`;
    holder.replaceChildren(
      h("h1", {}, `Sweep ${sw.name} `, status(sw.status)),
      kv([["sweep id", sw.sweep_id], ["metric", `${d.metric} (${d.mode})`], ["trials", `${trials.length} runs of ${sw.num_samples} trials`],
          ["best", sw.best_run_id ? h("span", {}, runLink(sw.best_run_id), ` = ${fmtVal(sw.best_value)}`) : null],
          ["space", Object.entries(d.space_spec).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("   ")]]),
      h("div", {class: "bar"}, h("button", {id: "compare-trials", onclick: () => { location.hash = `#/compare?runs=${ids.join(",")}`; }}, "Compare all trials")),
      section("Trials", table(["trial", "run", "status", "parent", ...space, d.metric, "step", "duration", "note"],
        trials.map(t => [num(t.trial_index), runLink(t.run_id), h("td", {}, status(t.status)),
          t.parent_in_sweep ? runLink(t.parent_in_sweep, t.parent_in_sweep.slice(0, 6)) : "",
          ...space.map(p => num(t.params[p])), num(t.value), num(t.step), fmtDur(t.duration_s),
          h("td", {class: "muted wrap"}, t.error || "")]), {id: "trials"})),
      section("Parallel coordinates", pcHolder),
      h("div", {class: "cards"},
        h("div", {}, section("Importance", h("div", {class: "bars card", id: "importance"},
          d.importance.map(r => h("div", {class: "row", "data-param": r.param}, h("span", {}, r.param),
            h("div", {}, h("div", {class: "fill", style: `width:${Math.round(100 * (r.importance || 0))}%`})),
            h("span", {class: "num"}, r.importance === null ? "n/a" : r.importance.toFixed(2))))),
          h("p", {class: "muted"}, "share of the metric's variance each param explains on its own"))),
        h("div", {}, section("Best so far", bestHolder))),
      section("Every trial's curve", curvesHolder,
        h("p", {class: "muted"}, "× marks a run the scheduler stopped (ASHA's early stop, or PBT replacing it with a copy); dashed lines join a PBT copy to the run it copied")));
    const logs = new Set(Object.entries(d.space_spec).filter(([, v]) => v && v.loguniform).map(([k]) => k));
    parallelCoords(pcHolder, [...space.map(p => ({name: p, values: trials.map(t => t.params[p] ?? null), log: logs.has(p)})),
                              {name: d.metric, values: trials.map(t => t.value)}], {titles: trials.map(label)});
    lineChart(bestHolder, [{label: "best so far", x: d.best_so_far.map(b => b.trial), y: d.best_so_far.map(b => b.best)},
                           {label: "trial value", x: d.best_so_far.map(b => b.trial), y: d.best_so_far.map(b => b.value), dashed: true}],
              {xLabel: "trials", legend: true});
    if (ids.length) {
      const s = await api(`api/series?runs=${ids.join(",")}&metric=${encodeURIComponent(d.metric)}`);
      const byRun = Object.fromEntries(s.curves.map(c => [c.run_id, c]));
      const traces = trials.filter(t => byRun[t.run_id]).map(t => {
        const c = byRun[t.run_id], tr = {label: label(t), x: c.step, y: c.value};
        if (t.status === "stopped") tr.endMark = t.error || "stopped by the scheduler";
        const parent = t.parent_in_sweep && byRun[t.parent_in_sweep];
        if (parent && c.step.length) {
          let i = parent.step.findLastIndex(x => x < c.step[0]);  // the step it copied: its own begin after
          if (i < 0) i = 0;
          tr.from = {x: parent.step[i], y: parent.value[i]};
        }
        return tr;
      });
      lineChart(curvesHolder, traces, {width: 900, height: 320, xLabel: "step", title: d.metric, legend: true});
    }
  };
  await load();
  poll(async () => { if (last.includes('"status": "running"') || last.includes('"running"')) await load(); });
}

/* ---------------------------------------------------------------- samples */
function tokenDiff(text, against) {
  const a = (text || "").split(/(\s+)/), ref = new Set((against || "").split(/\s+/).filter(Boolean));
  return a.map(tok => (tok.trim() && !ref.has(tok) ? h("span", {class: "tok-miss"}, tok) : tok));
}
async function samplesPage(params) {
  const q = new URLSearchParams(params);
  const d = await api(`api/samples?${q}`);
  const runs = await api(`api/compare?runs=${d.runs.join(",")}`);
  const labels = Object.fromEntries(runs.runs.map(r => [r.run_id, r.label]));
  const sortSel = h("select", {id: "s-sort"}, h("option", {value: "index"}, "as stored"),
    h("option", {value: "delta", selected: params.get("sort") === "delta"}, d.runs.length > 1 ? "last run worse than first, first" : "lowest score first"));
  const scoreSel = h("select", {id: "s-score"}, d.scores.map(s => h("option", {value: s, selected: s === d.primary}, s)));
  const apply = () => { q.set("sort", sortSel.value); q.set("score", scoreSel.value); location.hash = `#/samples?${q}`; };
  sortSel.addEventListener("change", apply); scoreSel.addEventListener("change", apply);
  const heads = ["split", "input", "reference", ...d.runs.map(r => h("th", {}, runLink(r, labels[r] || r),
    h("div", {class: "muted"}, `mean ${d.primary} ${fmtVal(d.mean[r])}`))), ...(d.runs.length > 1 ? ["Δ"] : [])];
  const rows = d.rows.map(r => {
    const cells = d.runs.map((id, i) => {
      const out = r.outputs[id], sc = r.scores[id] || {};
      const other = i > 0 ? r.outputs[d.runs[0]] : null;
      return h("td", {class: "wrap"}, h("div", {}, tokenDiff(out, r.reference)),
        other !== null && other !== undefined && other !== out ? h("div", {class: "muted"}, "≠ first run") : null,
        h("div", {class: "muted score"}, Object.entries(sc).map(([k, v]) => `${k} ${fmtVal(v)}`).join("  ")));
    });
    const delta = r.delta === null ? "" : r.delta;
    return [r.split, h("td", {class: "wrap"}, r.input ?? ""), h("td", {class: "wrap"}, r.reference ?? ""), ...cells,
            ...(d.runs.length > 1 ? [h("td", {class: `num ${r.delta < 0 ? "worse" : r.delta > 0 ? "better" : ""}`}, fmtVal(delta))] : [])];
  });
  app().replaceChildren(h("h1", {}, `Samples of ${d.runs.length} run(s)`),
    h("div", {class: "bar"}, h("label", {}, "order", sortSel), h("label", {}, "score", scoreSel),
      h("span", {class: "muted"}, `${d.total} examples; words not in the reference are marked`)),
    table(heads, rows, {id: "samples-table"}));
}

/* ---------------------------------------------------------------- router */
async function route() {
  pageToken++;
  clearInterval(pollTimer);
  document.getElementById("live").textContent = "";
  const hash = location.hash.replace(/^#\/?/, "") || "runs";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  const [page, ...rest] = path.split("/");
  document.querySelectorAll("header nav a").forEach(a => a.classList.toggle("active", a.dataset.nav === page));
  showError("");
  try {
    if (page === "run") await runPage(decodeURIComponent(rest.join("/")));
    else if (page === "compare") await comparePage(params);
    else if (page === "sql") sqlPage(params);
    else if (page === "sweeps") await sweepsPage();
    else if (page === "sweep") await sweepPage(decodeURIComponent(rest.join("/")));
    else if (page === "samples") await samplesPage(params);
    else await runsPage(params);
  } catch (e) { showError(e.message); }
}
window.addEventListener("hashchange", route);
route();
