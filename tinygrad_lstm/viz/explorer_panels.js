// The explorer's side panels: details of a node, of the record being stepped through,
// and the shared weights' gradients added up term by term. They read the page's data
// and state from explorer.js, which runs after them in the same script.
// ---- details of a node --------------------------------------------------------------------
function rowDetails(i) {
  if (row(i).op === "step") return stepDetails(i);
  const r = row(i), formula = D.formulas[r.op] || (r.params.startsWith("step of") ? D.formulas[r.params.slice(8)] : "");
  const lines = [["op", rowTitle(r) + (r.params && !r.params.startsWith("step of") ? ` <code>${esc(r.params)}</code>` : "")],
    ["formula", formula ? `<span class="formula">${esc(formula)}</span>` : (r.params ? esc(r.params) : "-")],
    ["output", esc(r.shapes) + " " + esc(r.dtype) + (r.names ? ` <span class="muted">(${esc(r.names)})</span>` : "")],
    ["scope", esc(r.scope || "-")], ["step", r.step >= 0 ? r.step : "-"],
    ["|dL/d out|", fmt(rowNorm(i))],
    ["value", D.roots[i] ? esc(D.roots[i]) : D.values[i] !== undefined ? esc(S(D.values[i])).replace(/\n/g, "<br>") :
      '<span class="muted">not kept (the tape holds no arrays; pass values=tl.viz.trace(model, x))</span>']];
  let html = kv(lines);
  if (r.where) html += `<div class="muted">created at</div><pre>${esc(r.where.trim().split("\n").slice(-6).join("\n"))}</pre>`;
  else html += '<div class="muted">source line: run the forward pass under tl.detect_anomaly() to record it</div>';
  return html;
}
function stepDetails(i) {     // the records of a step no picture draws, kept as one row
  const r = row(i);
  return kv([["step", `<b>t=${r.step}</b> <span class="muted">[${esc(r.scope)}]</span>`], ["records", esc(r.params)],
             ["|dL/d out|", fmt(rowNorm(i)) + ' <span class="muted">(the largest)</span>']]) +
    '<p class="muted">An elided step: its records are stepped through together. Draw fewer steps, or pass a larger max_steps, to see each one.</p>';
}
function leafDetails(j) {
  const l = leaf(j), w = D.weights[weightOfLeaf[j]];
  return kv([["leaf", leafTitle(l)], ["kind", l.param ? "parameter (requires grad)" : "constant"],
             ["dtype", esc(l.dtype)], ["value", esc(l.value || "not kept")],
             ["|dL/d leaf|", w ? fmt(w.norm) : "-"], ["terms", w ? w.terms.length : "-"]]);
}
const kv = (lines) => '<table class="kv">' + lines.map(([a, b]) => `<tr><td>${a}</td><td>${b}</td></tr>`).join("") + "</table>";
function nodeDetails(k) {
  const rows = nodeRows[k] || [], j = pic.leaves.indexOf(k);
  if (j >= 0) return leafDetails(j);
  if (rows.length === 1) return rowDetails(rows[0]);
  if (!rows.length) return '<p class="muted">' + esc(pic.kinds[k] === "in" ? "the layer's inputs" : "no record of its own") + "</p>";
  const steps = new Set(rows.map((i) => row(i).step).filter((s) => s >= 0));
  const ops = {};
  rows.forEach((i) => { const op = row(i).op; ops[op] = (ops[op] || 0) + 1; });
  const list = Object.entries(ops).map(([op, n]) => `${esc(op)}${n > 1 ? " x" + n : ""}`).join(", ");
  const first = row(rows[0]);
  const norms = rows.map(rowNorm).filter((x) => x !== null);
  return kv([["node", `<b>${esc({c: "time step", e: "elided steps", L: "layer"}[pic.kinds[k]] || "group")}</b>`],
             ["scope", esc(first.scope || "-")],
             ["steps", steps.size ? (steps.size === 1 ? [...steps][0] : `${Math.min(...steps)} ... ${Math.max(...steps)} (${steps.size} steps)`) : "-"],
             ["records", rows.length], ["ops", list],
             ["|dL/d out|", norms.length ? `${fmt(Math.min(...norms))} .. ${fmt(Math.max(...norms))}` : "-"]]) +
         `<p class="muted">first record: </p>` + rowDetails(rows[0]);
}
function inputName(s) {
  if (s < 0) { const l = leaf(-1 - s); return l.name || (l.param ? "parameter" : "constant") + " " + l.shape; }
  const r = row(s); return r.op + (where(r) ? ` [${where(r)}]` : "");
}
function backwardText() {
  if (D.note) return `<p class="note">${esc(D.note)}</p>`;
  if (state.pos === 0) return '<p class="muted">Press &#x25B6; to run the VJP of the last record: the cotangent starts as ones at the output and flows back, record by record.</p>';
  const e = E[state.pos - 1], r = row(e[0]);
  if (r.op === "step") return kv([["records", `all of <b>t=${r.step}</b> <span class="muted">[${esc(r.scope)}]</span>: ${esc(r.params)}`],
                                  ["cotangent in", `largest |g| = ${fmt(e[2][0])}`]]);
  const names = r.names ? r.names.split(", ") : [];
  const outs = e[2].map((x, k) => `${esc(names[k] && names[k] !== "-" ? names[k] : "out" + k)}: |g| = ${fmt(x)}`).join("<br>");
  const ins = D.src[e[0]].map((s, k) => `${esc(inputName(s))}: |g| = ${fmt(e[3][k])}` +
    (s < 0 && !leaf(-1 - s).param ? ' <span class="muted">(a constant: dropped)</span>' : ""));
  const label = e[1] > 1 ? `${rowTitle(r)} and ${e[1] - 1} more parts of one fused scan (its steps run inside one VJP)` : rowTitle(r);
  return kv([["record", label], ["formula", `<span class="formula">${esc(D.formulas[r.op] || D.formulas[(r.params || "").slice(8)] || r.op)}</span>`],
             ["cotangent in", outs], ["sent to inputs", e[1] > 1 ? e[3].map(fmt).join(", ") : ins.join("<br>")]]);
}
function forwardText() {
  if (state.pos === 0) return '<p class="muted">Press &#x25B6; to compute the first record.</p>';
  const i = state.pos - 1;
  return kv([["computes", rowTitle(row(i))], ["from", D.src[i].map((s) => esc(inputName(s))).join("<br>")]]) + rowDetails(i);
}

// ---- the shared weights' gradients, term by term ------------------------------------------
const decoded = {};
function termValues(n) {
  const w = D.weights[n];
  if (!w.values) return null;
  if (!decoded[n]) {
    const bin = atob(w.values), bytes = new Uint8Array(bin.length);
    for (let k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
    decoded[n] = new Float32Array(bytes.buffer);
  }
  return decoded[n];
}
function spark(w, count) {
  const width = 340, height = 36, n = w.terms.length;
  if (!n) return "";
  const logs = w.terms.map((t) => Math.log10(Math.max(t[1], 1e-30)));
  const hi = Math.max(...logs), lo = hi - 8;     // 8 decades: a vanished term has no bar
  const bw = width / n;
  let done = "", todo = "";
  w.terms.forEach((t, k) => {
    const x = (width - (k + 1) * bw).toFixed(1);      // reverse order: time runs left to right
    const h = (2 + (height - 2) * (Math.max(logs[k], lo) - lo) / ((hi - lo) || 1)).toFixed(1);
    const bar = `M${x} ${height}v-${h}h${Math.max(bw - (bw > 3 ? 1 : 0), 0.5).toFixed(2)}v${h}z`;
    if (k < count) done += bar; else todo += bar;
  });
  const steps = w.terms.map((t) => row(E[t[0]][0]).step).filter((s) => s >= 0);
  const axis = steps.length === n && n > 1 ? `t=${Math.min(...steps)} &#x2192; t=${Math.max(...steps)}, ` : "";
  return `<svg class="spark" width="${width}" height="${height}"><path d="${todo}" fill="#d9d9d9"/><path d="${done}" fill="#e6550d"/></svg>` +
         `<div class="muted axis">|term| by ${axis}log scale, 8 decades</div>`;
}
function grid(w, values) {
  const shape = w.shape.length === 1 ? [1, w.shape[0]] : w.shape.length === 0 ? [1, 1] : [w.shape[0], w.shape.slice(1).reduce((a, b) => a * b, 1)];
  let top = 0;
  for (const v of values) top = Math.max(top, Math.abs(v));
  const small = values.length <= 48;
  let html = `<table class="grid${small ? " small" : ""}" data-name="${esc(w.name)}">`;
  for (let r = 0; r < shape[0]; r++) {
    html += "<tr>";
    for (let c = 0; c < shape[1]; c++) {
      const v = values[r * shape[1] + c], a = top ? Math.abs(v) / top : 0;
      const colour = v >= 0 ? `rgba(214,96,77,${a.toFixed(2)})` : `rgba(67,147,195,${a.toFixed(2)})`;
      html += `<td data-value="${v}" title="[${r}, ${c}] ${v.toPrecision(6)}" style="background:${colour}">${small ? v.toPrecision(4) : ""}</td>`;
    }
    html += "</tr>";
  }
  return html + "</table>";
}
function weights() {
  if (!D.weights.length || state.mode !== "backward") { $("weights").innerHTML = ""; return; }
  let html = "<h3>Shared weights: the gradient as a sum of terms, one per use</h3>";
  D.weights.forEach((w, n) => {
    const count = w.terms.filter((t) => t[0] < state.pos).length;
    const last = count ? w.terms[count - 1] : null;
    const size = w.final ? w.final.length : 0;
    let values = null;
    const terms = termValues(n);
    if (terms && count) {
      values = new Float64Array(size);
      for (let t = 0; t < count; t++) for (let k = 0; k < size; k++) values[k] += terms[t * size + k];
    } else if (w.final && count === w.terms.length && count) values = w.final;
    const stepText = last ? (() => { const r = row(E[last[0]][0]); return r.step >= 0 ? `from t=${r.step}` : `from ${r.op}`; })() : "";
    html += `<div class="weight" id="w${n}"><b>${esc(w.name)}</b> <span class="muted">(${w.shape.join(", ")})</span><br>` +
      `${count} of ${w.terms.length} terms added` + (last ? `; last term ${stepText}: |term| = ${fmt(last[1])}` : "") +
      `<br>|sum so far| = <span class="sum">${fmt(last ? last[2] : 0)}</span>` + (count === w.terms.length && count ? ` = |.grad| ${fmt(w.norm)}` : "") +
      spark(w, count) + (values ? grid(w, values) : !w.final || (terms && !count) ? "" : '<span class="muted">(each term\'s values are not kept for this many steps: the sum appears at the end)</span>') + "</div>";
  });
  $("weights").innerHTML = html;
}

