// detente dashboard: talks to the HTTP API of the same server (docs/web.md), draws with
// plotly.js served locally from /vendor/plotly.min.js. No other dependency.

const $ = (sel) => document.querySelector(sel);
const state = {
  caps: null, world: null, scenarios: [], scenario: null, originalText: "", edited: false,
  job: null, replay: null, whatifTimer: null, whatifAbort: null, lastWhatif: null,
  whatifSeq: 0,
};
const PLOT_CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
const COLORS = ["#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d68910", "#17a2b8", "#6c757d", "#e83e8c",
  "#5d6d7e", "#a04000", "#196f3d", "#1b4f72", "#7d3c98"];
const DEFAULT_SHOWN = ["USA", "CHN", "MEX", "VNM", "EUR", "JPN"];

// ------------------------------------------------------------------ API
class ApiError extends Error {
  constructor(status, message, problems) { super(message); this.status = status; this.problems = problems || []; }
}

async function api(path, { method = "GET", body, signal } = {}) {
  const opts = { method, signal, headers: {} };
  if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers["content-type"] = "application/json"; }
  let r;
  try { r = await fetch(path, opts); } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, "cannot reach the detente server (is `detente serve` still running?)");
  }
  if (!r.ok) {
    let err = null;
    try { err = (await r.json()).error; } catch { /* not JSON */ }
    throw new ApiError(r.status, err?.message || `${r.status} ${r.statusText}`, err?.problems);
  }
  return r.json();
}

function showError(el, err) {
  if (!err) { el.hidden = true; el.replaceChildren(); return; }
  const head = document.createElement("p");
  head.textContent = err.message || String(err);
  el.replaceChildren(head);
  const problems = (err.problems || []).filter((p) => p !== err.message);
  if (problems.length) {
    const ul = document.createElement("ul");
    for (const p of problems) { const li = document.createElement("li"); li.textContent = p; ul.append(li); }
    el.append(ul);
  }
  el.hidden = false;
  el.scrollIntoView({ block: "nearest" });
}

const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toFixed(d));
// a value that rounds to zero at d decimals prints as +0.00 (never "-0.00")
const signed = (x, d = 2) => {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  const r = Number(Number(x).toFixed(d));
  return (r >= 0 ? "+" : "") + (r === 0 ? 0 : r).toFixed(d);
};

function option(value, text, selected = false) {
  const o = document.createElement("option");
  o.value = value; o.textContent = text; o.selected = selected;
  return o;
}

// ------------------------------------------------------------------ tabs
function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    }
    if (tab.id === "tab-runs") refreshRuns();
    if (tab.id === "tab-whatif" && !state.lastWhatif) scheduleWhatif(0);
    window.dispatchEvent(new Event("resize")); // plotly re-measures hidden charts
  };
  tabs.forEach((t, i) => {
    t.addEventListener("click", () => select(t));
    t.addEventListener("keydown", (e) => {
      const k = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (k) { const n = tabs[(i + k + tabs.length) % tabs.length]; n.focus(); select(n); }
    });
  });
}

// ------------------------------------------------------------------ charts
function lineLayout(title, yTitle, extra = {}) {
  return {
    title: { text: title, font: { size: 14 } }, margin: { l: 55, r: 10, t: 36, b: 36 },
    yaxis: { title: { text: yTitle }, zeroline: true }, xaxis: { type: "date" },
    legend: { orientation: "h", y: -0.18 }, font: { size: 11 }, hovermode: "x unified", ...extra,
  };
}

function draw(id, traces, layout) {
  if (!window.Plotly) { document.getElementById(id).textContent = "charts unavailable: plotly.js did not load"; return; }
  const gd = document.getElementById(id);
  chartObserver?.observe(gd);
  return window.Plotly.react(gd, traces, layout, PLOT_CONFIG);
}

// Plotly's `responsive` option follows window resizes only, but a chart's box also changes when
// the scenario editor opens or closes (the controls column widens), a tab or the world box is
// shown, or the results column changes width for any other reason. Every drawn chart is watched
// and re-measured when its box and its drawing disagree (else the old drawing overflows its box
// and covers the neighbouring chart). Resizing the drawing never changes the box: no loop.
const pendingResize = new Set();
const chartObserver = typeof ResizeObserver === "function" ? new ResizeObserver((entries) => {
  for (const { target: gd, contentRect: r } of entries) {
    const fl = gd._fullLayout;
    if (!fl || r.width < 1 || r.height < 1) continue; // not drawn yet, or hidden
    if (Math.abs(fl.width - r.width) > 1 || Math.abs(fl.height - r.height) > 1) pendingResize.add(gd);
  }
  if (pendingResize.size) requestAnimationFrame(flushResizes); // outside the observer's callback
}) : null;

function flushResizes() {
  const gds = [...pendingResize];
  pendingResize.clear();
  for (const gd of gds) {
    if (!gd.isConnected || !gd.clientWidth) continue;
    Promise.resolve(window.Plotly.Plots.resize(gd)).then(() => gd._eventLabels && labelEvents(gd)).catch(() => {});
  }
}

function countryTraces(data, variable, shown) {
  return shown.filter((c) => data.series[variable]?.[c]).flatMap((c, k) => {
    const color = COLORS[k % COLORS.length], line = { shape: "hv", width: 2, color };
    const band = data.bands?.series?.[variable]?.[c];  // replay with "bands": N (docs/sweeps.md)
    const shade = band ? [
      { x: data.bands.dates, y: band.upper, mode: "lines", line: { ...line, width: 0 }, legendgroup: c, showlegend: false, hoverinfo: "skip" },
      { x: data.bands.dates, y: band.lower, mode: "lines", line: { ...line, width: 0 }, legendgroup: c, showlegend: false, hoverinfo: "skip",
        fill: "tonexty", fillcolor: color + "33", name: `${c} ${data.bands.band} band` },
    ] : [];
    return [...shade, { x: data.dates, y: data.series[variable][c], name: c, legendgroup: c, mode: "lines", line }];
  });
}

// ?bands=N in the page address asks every replay for N elasticity draws (&seed=S, &level=L)
function bandOptions() {
  const q = new URLSearchParams(window.location.search), n = parseInt(q.get("bands") || "0", 10);
  if (!(n >= 2)) return {};
  const out = { bands: Math.min(n, 200) };
  if (q.get("seed")) out.seed = parseInt(q.get("seed"), 10);
  if (q.get("level")) out.level = parseFloat(q.get("level"));
  return out;
}

function drawReplay(data) {
  const shown = $("#world-all-lines").checked && data.world ? Object.keys(data.world.welfare) : checkedCountries();
  const [a, b] = data.pair;
  const title = state.scenario ? state.scenario.title || state.scenario.name : data.meta.scenario;
  $("#replay-heading").textContent = `${title}${data.meta.variant ? ` — variant ${data.meta.variant}` : ""}`;
  draw("chart-welfare", countryTraces(data, "welfare_pct", shown), lineLayout("Real income (welfare)", "% vs baseline"));
  draw("chart-wages", countryTraces(data, "real_wage_pct", shown), lineLayout("Real wages", "% vs baseline"));
  draw("chart-prices", countryTraces(data, "cpi_pct", shown), lineLayout("Consumer prices relative to the own nominal wage", "% vs baseline"));
  const changes = eventChanges(data);
  const shapes = changes.map((c) => ({
    type: "line", name: `event ${c.date}`, x0: c.date, x1: c.date, yref: "paper", y0: 0, y1: 1, layer: "below",
    line: { width: 1, color: "#aab2bd", dash: "dot" },
  }));
  const pairs = [[`${a}<-${b}`, `${a} on ${b}`, COLORS[0]], [`${b}<-${a}`, `${b} on ${a}`, COLORS[1]]];
  const tariffs = document.getElementById("chart-tariffs");
  tariffs._eventLabels = changes; tariffs._labelKey = null;
  Promise.resolve(draw("chart-tariffs", pairs.map(([k, name, color]) => ({
    x: data.dates, y: data.pairs[k].avg_tariff_pct, name, mode: "lines", line: { shape: "hv", width: 2, color },
  })), lineLayout("Average tariffs (goods, baseline-import weights)", "%", {
    shapes, annotations: tariffs.layout?.annotations || [], margin: { ...tariffs.layout?.margin || { l: 55, r: 10, t: 36, b: 36 } },
    title: { text: "Average tariffs (goods, baseline-import weights) and the policy changes", font: { size: 14 }, y: 1, yref: "container", yanchor: "top", pad: { t: 8 } },
    xaxis: { type: "date", range: [data.dates[0], data.dates[data.dates.length - 1]] },
  }))).then(() => labelEvents(tariffs)).catch(() => {});
  draw("chart-trade", pairs.map(([k, , color]) => ({
    x: data.dates, y: data.pairs[k].trade.map((v) => (v === null ? null : v / 1000)),
    name: `${k.split("<-")[1]} → ${k.split("<-")[0]}`, mode: "lines", line: { shape: "hv", width: 2, color },
  })), lineLayout("Bilateral trade (sales at factory prices)", "USD billion / year"));
  drawTimeline(data.events || []);
  drawShortage(data.shortage);
  drawWorld(data);
  const m = data.meta || {};
  $("#replay-provenance").textContent = `Each date: the static equilibrium under the policy then in force, vs the baseline. `
    + `World ${m.world || "?"}; data ${m.vintage || "?"}; trade elasticities ${m.elasticities || "of the world file"}`
    + `${m.closure ? `; closure ${m.closure}` : ""}; dates ${data.dates[0]} to ${data.dates[data.dates.length - 1]}.`;
}

// ------------------------------------------------------------------ event lines and their labels
// One dotted line per date on which the policy in force changes (the replay's change_dates), one
// label per line: the short name (the scenario's event id) of the main event of that date, "+n"
// when more change on the same date. The labels stand upright in one band above the plot, each
// as near its line as the others let it be (order kept, none overlapping), joined to the top of
// its line by a short leader. Hovering a label gives the date, full text and source of each event.
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const longDate = (d) => `${Number(d.slice(8, 10))} ${MONTHS[Number(d.slice(5, 7)) - 1]} ${d.slice(0, 4)}`;
const esc = (t) => String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const KIND_ORDER = { tariff: 0, export_control: 1, export_tax: 2, iceberg: 3, exemption: 4 };
// font px; thickness of an upright label (line box + padding + border); gap between labels;
// leader height; longest label, characters; room for the chart title
const LABEL = { font: 10, thick: 15, gap: 1, leader: 10, maxChars: 24, titleSpace: 30 };

function wrapText(text, width = 90) {
  const out = [];
  let line = "";
  for (const word of String(text).split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) { out.push(line); line = word; } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.map(esc).join("<br>   ");
}

// For each change date after the first: what starts, ends or ends its licence review that day.
function eventChanges(data) {
  const events = (data.events || []).filter((e) => e.kind !== "notice");
  return (data.change_dates || []).slice(1).map((d) => {
    const items = [];
    for (const e of events) {
      const on = e.changes_on || [e.date, e.until].filter(Boolean); // results stored before changes_on
      if (e.date === d) items.push({ e, what: "", rank: 0 });
      else if (e.until === d) items.push({ e, what: "ends", rank: 1 });
      else if (on.includes(d)) items.push({ e, what: "approvals", rank: 1 });
    }
    items.sort((p, q) => p.rank - q.rank || (KIND_ORDER[p.e.kind] ?? 9) - (KIND_ORDER[q.e.kind] ?? 9) || p.e.index - q.e.index);
    const id = (e) => e.id || `${e.kind.replace("_", " ")} ${e.date}`;
    const name = (it) => `${id(it.e)}${it.what ? ` ${it.what}` : ""}`;
    let text = `change ${d}`;
    if (items.length) {
      const tail = `${items[0].what ? ` ${items[0].what}` : ""}${items.length > 1 ? ` +${items.length - 1}` : ""}`;
      const head = id(items[0].e), room = LABEL.maxChars - tail.length;
      text = `${head.length > room ? `${head.slice(0, room - 1)}…` : head}${tail}`;
    }
    const notices = (data.events || []).filter((e) => e.kind === "notice" && e.date === d);
    const lines = [`<b>${longDate(d)}</b>: ${items.length || "no"} event(s) change the policy in force`];
    for (const it of items.slice(0, 8)) {
      lines.push(`<b>${esc(name(it))}</b>: ${wrapText(it.e.text)}`);
      if (it.e.source) lines.push(`   <i>source: ${wrapText(it.e.source)}</i>`);
    }
    if (items.length > 8) lines.push(`… and ${items.length - 8} more (the timeline of events below lists them all)`);
    for (const n of notices) lines.push(`<i>also, not modelled: ${wrapText(n.text)}</i>`);
    return { date: d, text, hover: lines.join("<br>") };
  });
}

let measureCtx = null;
function textWidth(text, font) {
  measureCtx ||= document.createElement("canvas").getContext("2d");
  measureCtx.font = font;
  return measureCtx.measureText(text).width;
}

// Centres p[i] >= p[i-1] + step, in [lo, hi], as near the wanted x[i] as possible (least squares):
// the isotonic regression of x[i] - i*step (pool adjacent violators), clamped to the bounds.
function spread(x, step, lo, hi) {
  const n = x.length, blocks = [];
  for (let i = 0; i < n; i++) {
    blocks.push({ sum: x[i] - i * step, n: 1 });
    while (blocks.length > 1 && blocks.at(-2).sum / blocks.at(-2).n > blocks.at(-1).sum / blocks.at(-1).n) {
      const b = blocks.pop(); blocks.at(-1).sum += b.sum; blocks.at(-1).n += b.n;
    }
  }
  const q = blocks.flatMap((b) => new Array(b.n).fill(b.sum / b.n));
  const qhi = hi - (n - 1) * step;
  return q.map((v, i) => Math.min(Math.max(v, lo), Math.max(qhi, lo)) + i * step);
}

function labelEvents(gd) {
  const changes = gd._eventLabels, fl = gd._fullLayout, xa = fl?.xaxis;
  if (!changes || !xa || !gd.clientWidth || !window.Plotly) return;
  if (!gd._zoomHook) { // a zoom moves the lines: the labels follow
    gd._zoomHook = true;
    gd.on("plotly_relayout", (ev) => Object.keys(ev || {}).some((k) => k.startsWith("xaxis.")) && labelEvents(gd));
  }
  const size = fl._size, font = `${LABEL.font}px ${fl.font?.family || "sans-serif"}`;
  const toPx = (d) => xa.l2p(xa.d2l(d)); // pixels from the plot area's left edge
  const [r0, r1] = xa.range.map(toPx);
  const shown = changes.map((c) => ({ ...c, x: toPx(c.date), len: Math.ceil(textWidth(c.text, font)) + 8 }))
    .filter((it) => it.x >= Math.min(r0, r1) - 0.5 && it.x <= Math.max(r0, r1) + 0.5);
  // narrower than a label each: the labels go thinner (a smaller font) rather than overlap
  const room = size.w + size.r + size.l / 2;
  const step = Math.min(LABEL.thick + LABEL.gap, room / Math.max(shown.length, 1));
  const fontSize = step >= LABEL.thick + LABEL.gap ? LABEL.font : Math.max(6, Math.floor(LABEL.font * step / (LABEL.thick + LABEL.gap)));
  const scale = fontSize / LABEL.font;
  const centres = spread(shown.map((it) => it.x), step, -size.l / 2 + step / 2, size.w + size.r - step / 2);
  const band = Math.max(0, ...shown.map((it) => it.len * scale));
  const annotations = shown.map((it, k) => ({
    name: `event ${it.date}`, text: esc(it.text), hovertext: it.hover, x: it.date, xref: "x", y: 1, yref: "paper",
    textangle: -90, showarrow: true, arrowhead: 0, arrowwidth: 1, arrowcolor: "#8c96a3", standoff: 0,
    axref: "pixel", ayref: "pixel", ax: Math.round(centres[k] - it.x), ay: -Math.round(LABEL.leader + (it.len * scale) / 2),
    font: { size: fontSize, color: "#2b3340" }, bgcolor: "rgba(255,255,255,0.92)", bordercolor: "#c3c9d1",
    borderwidth: 1, borderpad: 1, captureevents: true,
    hoverlabel: { bgcolor: "#ffffff", bordercolor: "#8c96a3", font: { size: 11, color: "#1d2330" }, align: "left" },
  }));
  const top = Math.ceil(LABEL.titleSpace + LABEL.leader + band + 4);
  const key = JSON.stringify([annotations.map((a) => [a.x, a.text, a.ax, a.ay, a.font.size]), top]);
  if (gd._labelKey === key) return; // nothing moved: no redraw
  gd._labelKey = key;
  return window.Plotly.relayout(gd, { annotations, "margin.t": top });
}

// ------------------------------------------------------------------ the importer and all partners
function fillWorldDates(data) {
  const sel = $("#world-at"), w = data.world;
  const keep = sel.value && (sel.value === "mean" || data.dates.includes(sel.value)) && sel.dataset.run === data.meta.scenario
    ? sel.value : w.default_at;
  sel.replaceChildren(option("mean", `period mean (${data.dates[0]} to ${data.dates[data.dates.length - 1]})`, keep === "mean"));
  for (const d of data.dates) sel.append(option(d, d + (d === w.default_at ? " (highest average tariff)" : ""), d === keep));
  sel.dataset.run = data.meta.scenario;
}

function atValues(data, series, means) {
  const at = $("#world-at").value;
  if (at === "mean") return { label: `period mean ${data.dates[0]} to ${data.dates[data.dates.length - 1]}`, get: (k) => means[k] };
  const t = data.dates.indexOf(at);
  return { label: `on ${at}`, get: (k) => series[k][t] };
}

function hbar(names, values, color) {
  return { type: "bar", orientation: "h", y: names, x: values, marker: { color }, hovertemplate: "%{y}: %{x:.3f}<extra></extra>" };
}

function drawWorld(data) {
  const w = data.world, box = $("#world-box");
  if (!w) { box.hidden = true; return; }
  box.hidden = false;
  if (!$("#world-at").dataset.bound) {
    $("#world-at").addEventListener("change", () => state.replay && drawWorld(state.replay));
    $("#world-all-lines").addEventListener("change", () => state.replay && drawReplay(state.replay));
    $("#world-at").dataset.bound = "1";
  }
  if ($("#world-at").dataset.run !== data.meta.scenario || !data.dates.includes($("#world-at").value) && $("#world-at").value !== "mean") fillWorldDates(data);
  const imp = w.importer, span = `${data.dates[0]} to ${data.dates[data.dates.length - 1]}`;
  $("#world-heading").textContent = `${imp} and all its partners`;
  const shown = [...w.moving_partners, ...w.partners.filter((c) => !w.moving_partners.includes(c))].slice(0, 8);
  const lines = (obj, names, allName) => [
    { x: data.dates, y: obj.all, name: allName, mode: "lines", line: { shape: "hv", width: 3, color: "#111" } },
    ...w.partners.filter((c) => names.includes(c)).map((c, k) => ({
      x: data.dates, y: obj[c], name: c, mode: "lines", line: { shape: "hv", width: 1.6, color: COLORS[k % COLORS.length] },
    })),
  ];
  draw("chart-partners", lines(w.tariff_by_partner, shown, `all partners`),
    lineLayout(`${imp} average tariff by partner<br><sub>${span}, goods, fixed baseline import weights</sub>`, "%", { margin: { l: 55, r: 10, t: 50, b: 36 } }));
  const ret = [...w.retaliating_partners, ...w.partners.filter((c) => !w.retaliating_partners.includes(c))].slice(0, Math.max(6, w.retaliating_partners.length));
  draw("chart-retaliation", lines(w.retaliation, ret, `all partners (what ${imp} faces)`),
    lineLayout(`Partners' average tariff on ${imp}<br><sub>retaliating: ${w.retaliating_partners.join(", ") || "none"}; ${span}</sub>`, "%", { margin: { l: 55, r: 10, t: 50, b: 36 } }));
  const wel = atValues(data, w.welfare, w.welfare_mean);
  const countries = Object.keys(w.welfare).sort((p, q) => (wel.get(p) ?? 0) - (wel.get(q) ?? 0));
  draw("chart-welfare-bars", [hbar(countries, countries.map(wel.get), "#1f5fa8")], {
    ...lineLayout(`Welfare of every country<br><sub>${wel.label}</sub>`, ""), hovermode: "closest", showlegend: false,
    margin: { l: 55, r: 10, t: 50, b: 40 },
    xaxis: { title: { text: w.units.welfare } }, yaxis: { title: { text: "country" }, automargin: true, dtick: 1 },
  });
  const sh = atValues(data, w.share_change_pp, w.share_change_mean_pp);
  const exps = Object.keys(w.share_change_pp).sort((p, q) => (sh.get(p) ?? 0) - (sh.get(q) ?? 0));
  draw("chart-diversion", [hbar(exps, exps.map(sh.get), exps.map((c) => ((sh.get(c) ?? 0) >= 0 ? "#2e8b57" : "#c0392b")))], {
    ...lineLayout(`Trade diversion: share of ${imp} goods imports<br><sub>change vs baseline, ${sh.label}</sub>`, ""),
    margin: { l: 55, r: 10, t: 50, b: 40 },
    hovermode: "closest", showlegend: false,
    xaxis: { title: { text: `percentage points of ${imp} goods imports` } }, yaxis: { title: { text: "exporter" }, automargin: true, dtick: 1 },
  });
  const p = w.provenance;
  $("#world-note").textContent = `Tariffs: ${w.units.tariffs}. Welfare: real income, ${w.units.welfare}. Shares: ${w.units.shares}, `
    + `each date's equilibrium minus the baseline (they add to zero). Dates ${span}; bars: ${wel.label}. World ${p.world}; data ${p.vintage}; `
    + `trade elasticities ${p.elasticities || "of the world file"}${p.closure ? `; closure ${p.closure}` : ""}.`;
}

function drawShortage(sh) {
  const chart = $("#chart-shortage"), caption = $("#shortage-caption"), note = $("#extras-note");
  const paths = sh && sh.output_pct ? Object.entries(sh.output_pct) : [];
  if (!paths.length) {
    chart.hidden = true; caption.hidden = false;
    note.textContent = sh?.note || state.extrasNote || "";
    return;
  }
  chart.hidden = false; caption.hidden = true;
  draw("chart-shortage", paths.map(([name, y], k) => ({
    x: sh.weeks, y, name, mode: "lines", line: { shape: "hv", width: 2, color: COLORS[k % COLORS.length] },
  })), lineLayout("Shortage paths: weekly output of the hardest-hit users", "% of normal output"));
  const lost = Object.entries(sh.va_lost_pct_gdp || {}).sort((a, b) => b[1] - a[1]).slice(0, 4)
    .map(([c, v]) => `${c} ${fmt(v, 3)}%`).join(", ");
  note.textContent = `Weekly shortage model (docs/shortage.md). Value added lost over the period, % of GDP: ${lost || "none"}.`;
}

function drawTimeline(events) {
  const body = $("#timeline tbody");
  body.replaceChildren();
  for (const e of events) {
    const tr = document.createElement("tr");
    tr.className = `kind-${e.kind}`;
    for (const v of [e.date, e.until || "", e.kind.replace("_", " "), e.text, e.source]) {
      const td = document.createElement("td"); td.textContent = v; tr.append(td);
    }
    if (e.id) { // the name the labels of the tariff chart's event lines use
      const name = document.createElement("b"); name.textContent = e.id;
      tr.children[3].prepend(name, " ");
    }
    body.append(tr);
  }
}

function checkedCountries() {
  return [...document.querySelectorAll("#country-checks input:checked")].map((i) => i.value);
}

// ------------------------------------------------------------------ replay
async function loadScenario(name) {
  const sc = await api(`/api/scenarios/${encodeURIComponent(name)}`);
  state.scenario = sc; state.originalText = sc.text; state.edited = false;
  $("#scenario-text").value = sc.text;
  $("#scenario-title").textContent = `${sc.description || ""} (${sc.period.start} to ${sc.period.end}, ${sc.n_events} events)`;
  const vs = $("#variant-select");
  vs.replaceChildren(option("", "(the scenario as written)"));
  for (const [k, d] of Object.entries(sc.variants)) vs.append(option(k, `${k}${d ? " — " + d.slice(0, 60) : ""}`));
  drawTimeline(sc.events);
  fillCompareOptions();
}

async function pollJob(job, onProgress) {
  for (;;) {
    if (["done", "failed", "cancelled"].includes(job.status)) return job;
    onProgress?.(job);
    await new Promise((r) => setTimeout(r, 150));
    job = await api(`/api/jobs/${job.id}`);
  }
}

async function runReplayJob({ scenario, text, variant }, onProgress) {
  const body = { ...(text ? { text, variant: variant || null } : { scenario, variant: variant || null }), ...bandOptions() };
  let job = await api("/api/replays", { method: "POST", body });
  job = await pollJob(job, onProgress);
  if (job.status !== "done") throw new ApiError(0, job.status === "cancelled" ? `replay cancelled${job.error ? ": " + job.error : ""}` : job.error || "replay failed");
  const countries = (state.world?.countries || []).join(",");
  const data = await api(`/api/jobs/${job.id}/result?format=json&pair=${encodeURIComponent(pairText())}&countries=${encodeURIComponent(countries)}`);
  return { job, data };
}

function pairText() {
  const a = $("#country-a").value || "USA", b = $("#country-b").value || "CHN";
  return a === b ? "USA,CHN" : `${a},${b}`;
}

async function runReplay() {
  const status = $("#replay-status"), bar = $("#replay-progress");
  showError($("#replay-error"), null);
  $("#run-btn").disabled = true; $("#cancel-btn").disabled = false;
  status.textContent = "starting the replay…"; bar.value = 0;
  const src = state.edited ? { text: $("#scenario-text").value } : { scenario: $("#scenario-select").value };
  try {
    const t0 = performance.now();
    const { job, data } = await runReplayJob({ ...src, variant: $("#variant-select").value }, (j) => {
      state.job = j;
      bar.max = Math.max(j.progress.total, 1); bar.value = j.progress.done;
      status.textContent = j.status === "queued" ? "queued…" : `solving ${j.progress.date || ""} (${j.progress.done}/${j.progress.total || "?"})`;
    });
    state.job = job; state.replay = data;
    bar.max = 1; bar.value = 1;
    drawReplay(data);
    status.textContent = `done: ${data.dates.length} dates, ${data.meta.n_solves} equilibrium solves in ${fmt(job.seconds ?? (performance.now() - t0) / 1000, 1)} s`
      + (data.bands ? `; shaded: ${data.bands.band} bands from ${data.bands.n_draws} elasticity draws (seed ${data.bands.seed}, ${data.bands.n_failed} failed solves)` : "");
    setReplayDownloads(job);
  } catch (e) {
    if (e.name !== "AbortError") { status.textContent = ""; showError($("#replay-error"), e); }
  } finally {
    $("#run-btn").disabled = false; $("#cancel-btn").disabled = true;
  }
}

function setReplayDownloads(job) {
  const base = `/api/jobs/${job.id}/result`;
  $("#dl-replay-json").href = `${base}?format=json&pair=${encodeURIComponent(pairText())}`;
  $("#dl-replay-csv").href = `${base}?format=csv&table=country`;
  $("#dl-replay-pairs").href = `${base}?format=csv&table=pairs`;
  $("#dl-replay-parquet").href = `${base}?format=parquet&table=sectors&pair=${encodeURIComponent(pairText())}`;
  $("#replay-downloads").hidden = false;
}

async function validateScenario() {
  const status = $("#replay-status");
  showError($("#replay-error"), null);
  status.textContent = "validating…";
  try {
    const v = await api("/api/scenarios/validate", { method: "POST", body: { text: $("#scenario-text").value, deep: true } });
    status.textContent = `valid: ${v.name}, ${v.events.length} events, ${v.n_dates} dates; checked ${v.checked.join(", ")}`;
    drawTimeline(v.events);
  } catch (e) { status.textContent = ""; showError($("#replay-error"), e); }
}

// ------------------------------------------------------------------ what-if
function sliderRow(container, id, label, onChange) {
  const wrap = document.createElement("div"); wrap.className = "slider";
  const lab = document.createElement("label"); lab.htmlFor = id; lab.textContent = label;
  const range = document.createElement("input");
  Object.assign(range, { type: "range", id, min: 0, max: 200, step: 5, value: 0 });
  const num = document.createElement("input");
  Object.assign(num, { type: "number", id: `${id}-n`, min: -100, max: 1000, step: 1, value: 0 });
  num.setAttribute("aria-label", `${label} (percentage points)`);
  range.addEventListener("input", () => { num.value = range.value; onChange(); });
  num.addEventListener("input", () => { range.value = num.value; onChange(); });
  wrap.append(lab, range, num);
  container.append(wrap);
}

function buildWhatifForm() {
  const w = state.world;
  for (const sel of ["#country-a", "#country-b", "#lic-exporter", "#compare-country"]) $(sel).replaceChildren();
  for (const c of w.countries) {
    $("#country-a").append(option(c, c, c === "USA"));
    $("#country-b").append(option(c, c, c === "CHN"));
    $("#lic-exporter").append(option(c, c, c === "CHN"));
    $("#compare-country").append(option(c, c, c === "USA"));
  }
  $("#lic-sector").replaceChildren(...w.goods.map((s) => option(s, `${s} — ${w.sector_names[s] || s}`.slice(0, 48), s === "NONFERROUS")));
  for (const [box, dir] of [["#tariffs-ab", "ab"], ["#tariffs-ba", "ba"]]) {
    const fs = $(box);
    fs.querySelectorAll(".slider").forEach((n) => n.remove());
    Object.keys(w.sector_groups).forEach((g, k) => sliderRow(fs, `t-${dir}-${k}`, g, () => scheduleWhatif()));
  }
  const checks = $("#country-checks");
  checks.replaceChildren();
  for (const c of w.main_countries) {
    const id = `show-${c}`;
    const lab = document.createElement("label"); lab.htmlFor = id; lab.className = "check";
    const box = document.createElement("input"); Object.assign(box, { type: "checkbox", id, value: c, checked: DEFAULT_SHOWN.includes(c) });
    box.addEventListener("change", () => state.replay && drawReplay(state.replay));
    lab.append(box, ` ${c}`);
    checks.append(lab);
  }
  updatePairNames();
}

function updatePairNames() {
  document.querySelectorAll(".a-name").forEach((n) => { n.textContent = $("#country-a").value; });
  document.querySelectorAll(".b-name").forEach((n) => { n.textContent = $("#country-b").value; });
}

function whatifRequest() {
  const w = state.world, a = $("#country-a").value, b = $("#country-b").value;
  const groups = Object.entries(w.sector_groups);
  const tariffs = [];
  for (const [dir, imp, exp] of [["ab", a, b], ["ba", b, a]]) {
    groups.forEach(([, sectors], k) => {
      const v = Number(document.getElementById(`t-${dir}-${k}-n`).value);
      if (v) tariffs.push({ importer: imp, exporter: exp, sectors, op: "add", rate_pp: v });
    });
  }
  const approval = Number($("#lic-approval").value) / 100;
  const export_controls = approval < 1 ? [{
    exporter: $("#lic-exporter").value, importers: "all", sectors: $("#lic-sector").value,
    coverage: Number($("#lic-coverage").value), approval_share: approval,
  }] : [];
  return { world: "default", title: "dashboard what-if", tariffs, export_controls, pair: [a, b],
    countries: w.main_countries.includes(a) && w.main_countries.includes(b) ? w.main_countries : [...new Set([a, b, ...w.main_countries])] };
}

function scheduleWhatif(delay = 200) {
  clearTimeout(state.whatifTimer);
  state.whatifTimer = setTimeout(runWhatif, delay);
}

async function runWhatif() {
  if (!state.world) return;
  if ($("#country-a").value === $("#country-b").value) {
    showError($("#whatif-error"), { message: "Country A and country B must differ." });
    return;
  }
  state.whatifAbort?.abort();
  const ctrl = new AbortController(); state.whatifAbort = ctrl;
  const seq = ++state.whatifSeq;
  $("#whatif-status").textContent = "solving…";
  const t0 = performance.now();
  try {
    const rec = await api("/api/whatif", { method: "POST", body: whatifRequest(), signal: ctrl.signal });
    if (seq !== state.whatifSeq) return;
    state.lastWhatif = rec;
    showError($("#whatif-error"), null);
    drawWhatif(rec);
    $("#whatif-status").textContent = `solved in ${fmt(rec.meta.solver.seconds * 1000, 0)} ms (round trip ${fmt(performance.now() - t0, 0)} ms), ${rec.meta.solver.iterations} iterations; ${rec.meta.changes.length} change(s)`;
  } catch (e) {
    if (e.name === "AbortError") return;
    $("#whatif-status").textContent = "";
    showError($("#whatif-error"), e);
  }
}

function drawWhatif(rec) {
  const [a, b] = rec.request.pair;
  const rows = Object.fromEntries(rec.countries.map((r) => [r.country, r]));
  const keys = $("#key-numbers");
  keys.replaceChildren();
  const items = [
    [`${a} real income`, rows[a]?.welfare_pct, "welfare-a"], [`${b} real income`, rows[b]?.welfare_pct, "welfare-b"],
    [`${a} prices vs wage`, rows[a]?.cpi_pct, "cpi-a"], [`${b} prices vs wage`, rows[b]?.cpi_pct, "cpi-b"],
  ];
  const bil = rec.bilateral.find((x) => x.importer === a && x.exporter === b);
  if (bil) items.push([`${b} → ${a} trade`, 100 * (bil.total_counterfactual / bil.total_baseline - 1), "trade-ba"]);
  for (const [label, value, id] of items) {
    const dt = document.createElement("dt"); dt.textContent = label;
    const dd = document.createElement("dd"); dd.id = `key-${id}`; dd.textContent = `${signed(value, 3)} %`;
    dd.dataset.value = value ?? "";
    keys.append(dt, dd);
  }
  const cs = rec.countries.map((r) => r.country);
  const bar = (k, name, color) => ({ type: "bar", x: cs, y: rec.countries.map((r) => r[k]), name, marker: { color } });
  draw("chart-whatif-countries", [bar("welfare_pct", "real income", COLORS[0]), bar("real_wage_pct", "real wage", COLORS[2]), bar("cpi_pct", "prices vs wage", COLORS[1])], {
    title: { text: "Real income, real wages and prices", font: { size: 14 } }, barmode: "group",
    margin: { l: 50, r: 10, t: 36, b: 40 }, yaxis: { title: { text: "% vs baseline" } }, legend: { orientation: "h", y: -0.15 }, font: { size: 11 },
  });
  const at = rec.average_tariffs;
  draw("chart-whatif-tariffs", [
    { type: "bar", x: at.map((t) => `${t.importer} on ${t.exporter}`), y: at.map((t) => t.baseline_pct), name: "baseline", marker: { color: "#9aa5b1" } },
    { type: "bar", x: at.map((t) => `${t.importer} on ${t.exporter}`), y: at.map((t) => t.counterfactual_pct), name: "what-if", marker: { color: COLORS[0] } },
  ], { title: { text: "Average tariffs (goods)", font: { size: 14 } }, barmode: "group", margin: { l: 50, r: 10, t: 36, b: 40 },
    yaxis: { title: { text: "%" } }, legend: { orientation: "h", y: -0.15 }, font: { size: 11 } });
  const traces = rec.bilateral.map((x, k) => ({
    type: "bar", x: x.rows.map((r) => r.sector), y: x.rows.map((r) => r.change_pct), name: `${x.exporter} → ${x.importer}`,
    marker: { color: COLORS[k] }, customdata: x.rows.map((r) => [r.baseline / 1000, r.counterfactual / 1000]),
    hovertemplate: "%{x}: %{y:.1f}%<br>%{customdata[0]:.1f} → %{customdata[1]:.1f} USD bn<extra>%{fullData.name}</extra>",
  }));
  draw("chart-whatif-trade", traces, { title: { text: "Bilateral trade by sector", font: { size: 14 } }, barmode: "group",
    margin: { l: 50, r: 10, t: 36, b: 90 }, yaxis: { title: { text: "% change" } }, legend: { orientation: "h", y: 1.12 }, font: { size: 11 } });
}

async function downloadWhatif(format) {
  try {
    const r = await fetch(`/api/whatif?format=${format}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(whatifRequest()) });
    if (!r.ok) throw new ApiError(r.status, (await r.json()).error?.message || r.statusText);
    const blob = await r.blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = `whatif.${format}`;
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 5000);
  } catch (e) { showError($("#whatif-error"), e); }
}

function resetWhatif() {
  document.querySelectorAll(".slider input").forEach((i) => { i.value = 0; });
  $("#lic-approval").value = 100; $("#lic-approval-out").textContent = "100%";
  scheduleWhatif(0);
}

// ------------------------------------------------------------------ compare
function fillCompareOptions(runs = []) {
  const opts = [["variant:", "scenario as written"], ...Object.keys(state.scenario?.variants || {}).map((v) => [`variant:${v}`, `variant ${v}`])];
  for (const [sel, pick] of [["#compare-a", 0], ["#compare-b", 1]]) {
    const el = $(sel), old = el.value;
    el.replaceChildren();
    const g1 = document.createElement("optgroup"); g1.label = state.scenario ? state.scenario.name : "scenario";
    opts.forEach(([v, t], k) => g1.append(option(v, t, k === pick)));
    el.append(g1);
    const dated = runs.filter((r) => r.n_dates > 0);
    if (dated.length) {
      const g2 = document.createElement("optgroup"); g2.label = "stored runs";
      for (const r of dated) g2.append(option(`run:${r.id}`, `${r.id} ${r.name}${r.variant ? " / " + r.variant : ""}`));
      el.append(g2);
    }
    if (old && [...el.options].some((o) => o.value === old)) el.value = old;
  }
}

async function fetchRun(value, onProgress) {
  const countries = (state.world?.countries || []).join(",");
  if (value.startsWith("run:")) {
    return api(`/api/runs/${encodeURIComponent(value.slice(4))}/result?format=json&pair=${encodeURIComponent(pairText())}&countries=${encodeURIComponent(countries)}`);
  }
  const variant = value.slice("variant:".length);
  const src = state.edited ? { text: $("#scenario-text").value } : { scenario: $("#scenario-select").value };
  return (await runReplayJob({ ...src, variant }, onProgress)).data;
}

async function compare() {
  const status = $("#compare-status");
  showError($("#compare-error"), null);
  const va = $("#compare-a").value, vb = $("#compare-b").value, c = $("#compare-country").value;
  const label = (v) => $(`#compare-a option[value="${CSS.escape(v)}"]`)?.textContent || v;
  status.textContent = "running both…";
  try {
    const [A, B] = await Promise.all([fetchRun(va), fetchRun(vb)]);
    const [a, b] = A.pair;
    const tr = (d, k, dash, name, color) => ({ x: d.dates, y: k, name, mode: "lines", line: { shape: "hv", dash, width: 2, color } });
    draw("chart-compare-welfare", [
      tr(A, A.series.welfare_pct[c], "solid", `A: ${label(va)}`, COLORS[0]),
      tr(B, B.series.welfare_pct[c], "dash", `B: ${label(vb)}`, COLORS[1]),
    ], lineLayout(`Real income of ${c}`, "% vs baseline"));
    draw("chart-compare-tariffs", [
      tr(A, A.pairs[`${a}<-${b}`].avg_tariff_pct, "solid", `A: ${a} on ${b}`, COLORS[0]),
      tr(B, B.pairs[`${a}<-${b}`].avg_tariff_pct, "dash", `B: ${a} on ${b}`, COLORS[0]),
      tr(A, A.pairs[`${b}<-${a}`].avg_tariff_pct, "solid", `A: ${b} on ${a}`, COLORS[1]),
      tr(B, B.pairs[`${b}<-${a}`].avg_tariff_pct, "dash", `B: ${b} on ${a}`, COLORS[1]),
    ], lineLayout("Average tariffs", "%"));
    const head = $("#compare-table thead"), body = $("#compare-table tbody");
    head.innerHTML = "";
    const hr = document.createElement("tr");
    for (const t of ["country", "A mean", "B mean", "B − A mean", "A end", "B end"]) { const th = document.createElement("th"); th.scope = "col"; th.textContent = t; hr.append(th); }
    head.append(hr);
    body.replaceChildren();
    const mean = (xs) => xs.filter((x) => x !== null).reduce((s, x) => s + x, 0) / Math.max(1, xs.filter((x) => x !== null).length);
    for (const cc of state.world.main_countries) {
      const xa = A.series.welfare_pct[cc], xb = B.series.welfare_pct[cc];
      if (!xa || !xb) continue;
      const row = document.createElement("tr");
      for (const v of [cc, signed(mean(xa), 3), signed(mean(xb), 3), signed(mean(xb) - mean(xa), 3), signed(xa.at(-1), 3), signed(xb.at(-1), 3)]) {
        const td = document.createElement("td"); td.textContent = v; row.append(td);
      }
      body.append(row);
    }
    status.textContent = `compared ${label(va)} with ${label(vb)}`;
  } catch (e) { status.textContent = ""; showError($("#compare-error"), e); }
}

// ------------------------------------------------------------------ runs
function linkCell(links) {
  const td = document.createElement("td");
  for (const [text, href] of links) {
    const a = document.createElement("a"); a.href = href; a.textContent = text; a.setAttribute("download", "");
    td.append(a, " ");
  }
  return td;
}

async function refreshRuns() {
  try {
    const jobs = await api("/api/jobs");
    const body = $("#jobs-table tbody"); body.replaceChildren();
    for (const j of jobs) {
      const tr = document.createElement("tr");
      for (const v of [j.id, j.title, j.status + (j.error ? `: ${j.error}` : ""), j.seconds ?? ""]) { const td = document.createElement("td"); td.textContent = v; tr.append(td); }
      tr.append(j.links.json ? linkCell([["JSON", j.links.json], ["CSV", j.links.csv], ["Parquet", j.links.parquet]]) : document.createElement("td"));
      body.append(tr);
    }
  } catch (e) { /* the jobs table is informative only */ }
  const note = $("#runs-note"), body = $("#runs-table tbody");
  body.replaceChildren();
  if (!state.caps?.store) { note.textContent = "No results store in this installation."; return; }
  try {
    const runs = await api("/api/runs");
    note.textContent = runs.length ? `${runs.length} stored run(s).` : "No stored runs yet (POST /api/replays with \"save\": true, or `detente replay --save`).";
    for (const r of runs) {
      const tr = document.createElement("tr");
      for (const v of [r.id, r.kind, r.name, r.variant || "", (r.created_at || "").slice(0, 19)]) { const td = document.createElement("td"); td.textContent = v; tr.append(td); }
      const base = `/api/runs/${encodeURIComponent(r.id)}/result`;
      tr.append(linkCell([["JSON", `${base}?format=json`], ["CSV", `${base}?format=csv`], ["Parquet", `${base}?format=parquet`]]));
      body.append(tr);
    }
    fillCompareOptions(runs);
  } catch (e) { note.textContent = e.message; }
}

// ------------------------------------------------------------------ strategy
function fillStrategyForm() {
  const a = $("#strategy-a"), b = $("#strategy-b");
  if (a.options.length) return;
  for (const c of state.world.countries) { a.append(option(c, c, c === "USA")); b.append(option(c, c, c === "CHN")); }
}

function cell(tr, text, num = false) {
  const td = document.createElement("td"); td.textContent = text; if (num) td.className = "num"; tr.append(td);
}

function drawStrategy(rec) {
  const body = $("#leverage-table tbody"); body.replaceChildren();
  for (const r of rec.leverage) {
    const tr = document.createElement("tr");
    cell(tr, r.imposer); cell(tr, r.instrument);
    for (const k of ["target_loss_pct", "imposer_loss_pct"]) cell(tr, fmt(r[k], 3), true);
    for (const k of ["target_loss_usd_bn", "imposer_loss_usd_bn"]) cell(tr, fmt(r[k], 1), true);
    cell(tr, r.leverage === null ? "∞ (imposer gains)" : fmt(r.leverage, 2), true);
    tr.title = r.description;
    body.append(tr);
  }
  $("#leverage-caption").textContent = `Leverage of ${rec.players.join(" and ")} (${rec.objective}); ${rec.units}; elasticities: ${rec.elasticities}`;
  const cols = Object.keys(rec.threat_points[0] || {});
  const head = document.createElement("tr");
  for (const c of cols) { const th = document.createElement("th"); th.scope = "col"; th.textContent = c === "threat" ? "both sides use" : `${c} (% of income)`; head.append(th); }
  $("#threat-table thead").replaceChildren(head);
  const tb = $("#threat-table tbody"); tb.replaceChildren();
  for (const r of rec.threat_points) {
    const tr = document.createElement("tr");
    for (const c of cols) cell(tr, c === "threat" ? r[c] : signed(r[c], 4), c !== "threat");
    tb.append(tr);
  }
  $("#threat-caption").textContent = `Threat points: ${rec.threat_units}`;
  $("#strategy-provenance").textContent = `world: ${rec.world} (${rec.vintage}); threats made from: ${rec.reference}; horizon: ${rec.horizon}`;
}

async function runStrategy() {
  fillStrategyForm();
  const status = $("#strategy-status");
  showError($("#strategy-error"), null);
  status.textContent = "computing leverage…";
  const body = { players: [$("#strategy-a").value, $("#strategy-b").value], reference: $("#strategy-reference").value,
    horizon: $("#strategy-horizon").value };
  try {
    const rec = await api("/api/strategy/leverage", { method: "POST", body });
    state.strategy = rec;
    drawStrategy(rec);
    status.textContent = "";
    document.body.dataset.strategyReady = "true";
  } catch (e) { status.textContent = ""; showError($("#strategy-error"), e); }
}

// ------------------------------------------------------------------ start
async function start() {
  setupTabs();
  $("#replay-form").addEventListener("submit", (e) => { e.preventDefault(); runReplay(); });
  $("#cancel-btn").addEventListener("click", () => state.job && api(`/api/jobs/${state.job.id}/cancel`, { method: "POST" }).catch(() => {}));
  $("#validate-btn").addEventListener("click", validateScenario);
  $("#revert-btn").addEventListener("click", () => { $("#scenario-text").value = state.originalText; state.edited = false; showError($("#replay-error"), null); });
  $("#scenario-text").addEventListener("input", () => { state.edited = $("#scenario-text").value !== state.originalText; });
  $("#scenario-select").addEventListener("change", async () => { await loadScenario($("#scenario-select").value); runReplay(); });
  $("#variant-select").addEventListener("change", runReplay);
  $("#whatif-form").addEventListener("submit", (e) => { e.preventDefault(); scheduleWhatif(0); });
  for (const sel of ["#country-a", "#country-b"]) $(sel).addEventListener("change", () => { updatePairNames(); scheduleWhatif(0); });
  for (const sel of ["#lic-exporter", "#lic-sector", "#lic-coverage"]) $(sel).addEventListener("change", () => scheduleWhatif());
  $("#lic-approval").addEventListener("input", () => { $("#lic-approval-out").textContent = `${$("#lic-approval").value}%`; scheduleWhatif(); });
  $("#whatif-reset").addEventListener("click", resetWhatif);
  for (const f of ["json", "csv", "parquet"]) $(`#dl-whatif-${f}`).addEventListener("click", () => downloadWhatif(f));
  $("#compare-form").addEventListener("submit", (e) => { e.preventDefault(); compare(); });
  $("#strategy-form").addEventListener("submit", (e) => { e.preventDefault(); runStrategy(); });
  try {
    const [caps, world, scenarios] = await Promise.all([api("/api/capabilities"), api("/api/worlds/default"), api("/api/scenarios")]);
    state.caps = caps; state.world = world; state.scenarios = scenarios;
    $("#world-line").textContent = `world: ${world.full_name} (${world.countries.length} economies × ${world.sectors.length} sectors), ${world.vintage}; detente ${caps.version}`;
    state.extrasNote = $("#extras-note").textContent = [
      caps.shortage ? "Shortage paths appear here for scenarios whose export controls name a critical product (e.g. rare-earth-magnets-2025)." : "Shortage paths: the weekly shortage model is not in this installation yet.",
      caps.strategy ? "Leverage of each side's instruments: the strategy table below." : "Leverage: the strategy module is not installed here.",
    ].join(" ");
    buildWhatifForm();
    scheduleWhatif(0); // the what-if panel opens on the baseline
    const sel = $("#scenario-select");
    for (const s of scenarios) sel.append(option(s.name, `${s.name}`, s.name === "us-china-2025"));
    document.body.dataset.ready = "true";
    if (scenarios.length) { await loadScenario(sel.value); await runReplay(); }
    if (caps.strategy) runStrategy(); // after the replay: the leverage table below it
  } catch (e) {
    showError($("#replay-error"), e);
  }
}

start();
