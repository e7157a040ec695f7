// The live dashboard at / of the --metrics socket: one static page (no build step, no
// library), polling /stats.json every second and drawing calls/s, failures/s and p50/p99
// latency per function on canvases, with the workers table.

/** Seconds of history the charts keep, and the least they span (a page just opened is not a dot at the right edge). */
const HISTORY = 300;
const MIN_SPAN = 60;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>uwsgi-rpc node</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px system-ui, sans-serif; margin: 1em 2em; color: #222; background: #fafafa; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; }
  #node { color: #666; margin-bottom: 1em; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1em; }
  figure { margin: 0; background: #fff; border: 1px solid #ddd; padding: .5em; }
  figcaption { font-weight: 600; margin-bottom: .3em; }
  canvas { width: 100%; height: 180px; display: block; }
  .legend span { display: inline-block; margin-right: 1em; font-size: 12px; }
  .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
  table { border-collapse: collapse; margin-top: 1em; background: #fff; }
  th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
  th { background: #f0f0f0; }
  #error { color: #b00; }
</style>
</head>
<body>
<h1>uwsgi-rpc node</h1>
<div id="node">connecting...</div>
<div id="error"></div>
<div class="charts">
  <figure><figcaption>calls/s</figcaption><canvas id="calls"></canvas><div class="legend" id="calls-legend"></div></figure>
  <figure><figcaption>failures/s</figcaption><canvas id="failures"></canvas><div class="legend" id="failures-legend"></div></figure>
  <figure><figcaption>p50 latency (ms)</figcaption><canvas id="p50"></canvas><div class="legend" id="p50-legend"></div></figure>
  <figure><figcaption>p99 latency (ms)</figcaption><canvas id="p99"></canvas><div class="legend" id="p99-legend"></div></figure>
</div>
<table id="workers">
  <thead><tr><th>id</th><th>pid</th><th>status</th><th>requests</th><th>exceptions</th><th>harakiri</th>
  <th>avg rt (µs)</th><th>connections</th><th>tx bytes</th><th>rss MiB</th></tr></thead>
  <tbody></tbody>
</table>
<script>
"use strict";
const HISTORY = ${HISTORY};
const MIN_SPAN = ${MIN_SPAN};
const opened = Date.now();
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
// series[chart][function] = [{t, v}], the last HISTORY seconds
const series = { calls: {}, failures: {}, p50: {}, p99: {} };
const colorOf = {};
let previous = null;

function color(name) {
  if (!(name in colorOf)) colorOf[name] = COLORS[Object.keys(colorOf).length % COLORS.length];
  return colorOf[name];
}

function failuresOf(f) {
  return f.failures.threw + f.failures.empty + f.failures.bad_args + f.failures.harakiri;
}

/** The q quantile (ms) of the calls counted per bucket in counts, interpolated inside its bucket. */
function quantile(q, le, counts) {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    if (seen + counts[i] >= rank && counts[i] > 0) {
      const low = i === 0 ? 0 : le[i - 1];
      const high = le[i] === null ? le[i - 1] : le[i];
      return (low + (high - low) * ((rank - seen) / counts[i])) * 1000;
    }
    seen += counts[i];
  }
  return null;
}

function push(chart, name, t, v) {
  const s = (series[chart][name] ??= []);
  s.push({ t, v });
  while (s.length > 0 && s[0].t < t - HISTORY * 1000) s.shift();
}

function draw(chart) {
  const canvas = document.getElementById(chart);
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth * ratio;
  const h = canvas.clientHeight * ratio;
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, w, h);
  const now = Date.now();
  const span = Math.min(HISTORY, Math.max(MIN_SPAN, (now - opened) / 1000)) * 1000;
  const all = Object.entries(series[chart]);
  let max = 0;
  for (const [, s] of all) for (const p of s) if (p.v !== null && p.v > max) max = p.v;
  max = max === 0 ? 1 : max * 1.1;
  const pad = 40 * ratio;
  g.fillStyle = '#666';
  g.font = 11 * ratio + 'px sans-serif';
  g.strokeStyle = '#eee';
  for (let i = 0; i <= 4; i++) {
    const y = h - 4 * ratio - ((h - 8 * ratio) * i) / 4;
    g.beginPath();
    g.moveTo(pad, y);
    g.lineTo(w, y);
    g.stroke();
    g.fillText(((max * i) / 4).toPrecision(3), 2, Math.max(y, 11 * ratio));
  }
  let points = 0;
  const last = {};
  for (const [name, s] of all) {
    g.strokeStyle = color(name);
    g.lineWidth = 2 * ratio;
    g.beginPath();
    let drawing = false;
    for (const p of s) {
      if (p.v === null) {
        drawing = false;
        continue;
      }
      const x = pad + ((w - pad) * (span - (now - p.t))) / span;
      const y = h - 4 * ratio - ((h - 8 * ratio) * p.v) / max;
      if (drawing) g.lineTo(x, y);
      else g.moveTo(x, y);
      drawing = true;
      points++;
    }
    g.stroke();
    const end = s[s.length - 1];
    if (end !== undefined) last[name] = end.v;
  }
  // what the chart shows, for a reader that cannot see it
  canvas.dataset.points = String(points);
  canvas.dataset.last = JSON.stringify(last);
  document.getElementById(chart + '-legend').innerHTML = all
    .map(([name]) => '<span><i style="background:' + color(name) + '"></i>' + escapeHtml(name) + '</span>')
    .join('');
}

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
}

function workersTable(doc) {
  const rows = doc.workers.map((w) =>
    [w.id, w.pid, w.status, w.requests, w.exceptions, w.harakiri_count, w.avg_rt,
      w.uwsgi_rpc ? w.uwsgi_rpc.connections : '', w.tx, (w.rss / 1048576).toFixed(1)]
      .map((v) => '<td>' + escapeHtml(String(v)) + '</td>').join(''));
  document.querySelector('#workers tbody').innerHTML = rows.map((r) => '<tr>' + r + '</tr>').join('');
}

async function poll() {
  let doc;
  try {
    const res = await fetch('stats.json', { cache: 'no-store' });
    if (!res.ok) throw new Error('stats.json: HTTP ' + res.status);
    doc = await res.json();
    document.getElementById('error').textContent = '';
  } catch (err) {
    document.getElementById('error').textContent = String(err);
    return;
  }
  const t = Date.now();
  document.getElementById('node').textContent =
    doc.version + ' - pid ' + doc.pid + ' - ' + doc.workers.length + ' worker(s) - ' + doc.load + ' connection(s)';
  workersTable(doc);
  const fns = doc.uwsgi_rpc.functions;
  if (previous !== null) {
    const dt = (t - previous.t) / 1000;
    for (const [name, f] of Object.entries(fns)) {
      const before = previous.fns[name];
      if (before === undefined) continue;
      push('calls', name, t, (f.calls - before.calls) / dt);
      push('failures', name, t, (failuresOf(f) - failuresOf(before)) / dt);
      const counts = f.latency.counts.map((c, i) => c - before.latency.counts[i]);
      push('p50', name, t, quantile(0.5, f.latency.le, counts));
      push('p99', name, t, quantile(0.99, f.latency.le, counts));
    }
  }
  previous = { t, fns };
  for (const chart of Object.keys(series)) draw(chart);
}

poll();
setInterval(poll, 1000);
</script>
</body>
</html>
`;
