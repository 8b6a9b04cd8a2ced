// The explorer's page: pictures of one graph (from Graphviz), the tape as data, and
// controls that walk it forward or backward. Written for this page alone, no libraries.
// The panels' text (explorer_panels.js) comes first in the same script.
const D = JSON.parse(document.getElementById("data").textContent);
const $ = (id) => document.getElementById(id);
const S = (k) => (k < 0 ? "" : D.strings[k]);
const nRows = D.rows.length / 8;
const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})[c]);
const fmt = (x) => (x === null || x === undefined ? "-" : x === 0 ? "0" : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(2));

function row(i) {
  const r = D.rows, k = 8 * i;
  return {i, op: S(r[k]), scope: S(r[k + 1]), step: r[k + 2], shapes: S(r[k + 3]), dtype: S(r[k + 4]),
          names: S(r[k + 5]), params: S(r[k + 6]), where: S(r[k + 7])};
}
function leaf(j) {
  const l = D.leaves[j];
  return {j, name: S(l[0]), shape: S(l[1]), dtype: S(l[2]), param: l[3] === 1, value: S(l[4])};
}
const where = (r) => (r.scope || "") + (r.step >= 0 ? " t=" + r.step : "");
const rowTitle = (r) => `<b>${esc(r.op)}</b>` + (where(r) ? ` <span class="muted">[${esc(where(r))}]</span>` : "");
const leafTitle = (l) => `<b>${esc(l.name || (l.param ? "parameter" : "constant"))}</b> <span class="muted">${esc(l.shape)}</span>`;

// ---- the backward pass as events: which event processed each row, and its norms -------
const E = D.events;
const rowEvent = new Int32Array(nRows).fill(-1);
E.forEach((e, k) => { for (let i = e[0]; i < e[0] + e[1]; i++) rowEvent[i] = k; });
const rowNorm = (i) => (rowEvent[i] < 0 ? null : Math.max(...E[rowEvent[i]][2]));
const weightOfLeaf = {};
D.weights.forEach((w, n) => { weightOfLeaf[w.leaf] = n; });

// ---- pictures -----------------------------------------------------------------------------
const state = {view: D.pictures[0].view, expanded: false, mode: E.length ? "backward" : "forward",
               pos: 0, picked: null, playing: null, tx: 0, ty: 0, scale: 1};
let pic = null, nodes = [], edges = [], svg = null, nodeRows = [], nodeFirst = null;

function picture() {
  const level = state.expanded ? "expanded" : "";
  return D.pictures.find((p) => p.view === state.view && p.level === level) ||
         D.pictures.find((p) => p.view === state.view);
}
function show() {
  pic = picture();
  const text = $("svg" + pic.svg).textContent.replace(/<\\\/script/gi, "</script");
  $("stage").innerHTML = text;
  svg = $("stage").querySelector("svg");
  const box = svg.viewBox.baseVal;
  svg.setAttribute("width", box.width);
  svg.setAttribute("height", box.height);
  nodes = [];
  svg.querySelectorAll("g.node").forEach((g) => {
    const t = g.querySelector("title");
    const m = t && /^n(\d+)$/.exec(t.textContent.trim());
    if (m) { nodes[+m[1]] = g; g.dataset.k = m[1]; t.remove(); }    // our panel, not a tooltip
  });
  edges = [];
  svg.querySelectorAll("g.edge").forEach((g) => {   // "n3:port->n5": from node 3 to node 5
    const t = g.querySelector("title");
    const m = t && /^n(\d+)\S*->n(\d+)/.exec(t.textContent.trim());
    if (m) { edges.push([+m[1], +m[2], g]); t.remove(); }
  });
  nodeRows = nodes.map(() => []);
  pic.rows.forEach((k, i) => { if (k >= 0) (nodeRows[k] = nodeRows[k] || []).push(i); });
  nodeFirst = null;
  $("expand").disabled = !D.pictures.some((p) => p.view === state.view && p.level === "expanded");
  $("expand").classList.toggle("on", state.expanded);
  document.querySelectorAll("#views button").forEach((b) => b.classList.toggle("on", b.dataset.view === state.view));
  fit();
  update();
}
function reachedAt(k) {      // the position from which node k counts as reached
  if (!nodeFirst) {
    nodeFirst = {backward: new Float64Array(nodes.length).fill(Infinity), forward: new Float64Array(nodes.length).fill(Infinity)};
    pic.rows.forEach((n, i) => {
      if (n < 0) return;
      nodeFirst.forward[n] = Math.min(nodeFirst.forward[n], i + 1);
      if (rowEvent[i] >= 0) nodeFirst.backward[n] = Math.min(nodeFirst.backward[n], rowEvent[i] + 1);
    });
    pic.leaves.forEach((n, j) => {
      if (n < 0) return;
      nodeFirst.forward[n] = 0;
      const w = D.weights[weightOfLeaf[j]];
      nodeFirst.backward[n] = w && w.terms.length ? w.terms[0][0] + 1 : Infinity;
    });
  }
  return nodeFirst[state.mode][k];
}

// ---- pan and zoom ---------------------------------------------------------------------------
function place() { $("stage").style.transform = `translate(${state.tx}px,${state.ty}px) scale(${state.scale})`; }
function fit() {
  const v = $("viewport").getBoundingClientRect(), box = svg.viewBox.baseVal;
  state.scale = Math.min(v.width / box.width, v.height / box.height, 2) * 0.96;
  const tall = state.scale < 0.35;      // a long strip: fit its width, start at the top
  if (tall) state.scale = Math.min(v.width / box.width, 1) * 0.96;
  state.tx = (v.width - box.width * state.scale) / 2;
  state.ty = tall ? 8 : (v.height - box.height * state.scale) / 2;
  place();
}
function follow(g) {         // keep the current node in view
  const v = $("viewport").getBoundingClientRect(), b = g.getBoundingClientRect();
  if (b.right < v.left + 20 || b.left > v.right - 20 || b.bottom < v.top + 20 || b.top > v.bottom - 20) {
    state.tx += v.left + v.width / 2 - (b.left + b.width / 2);
    state.ty += v.top + v.height / 2 - (b.top + b.height / 2);
    place();
  }
}
const vp = $("viewport");
vp.addEventListener("wheel", (ev) => {
  ev.preventDefault();
  const v = vp.getBoundingClientRect(), x = ev.clientX - v.left, y = ev.clientY - v.top;
  const f = Math.exp(-ev.deltaY * 0.0015), s = Math.min(20, Math.max(0.02, state.scale * f));
  state.tx = x - (x - state.tx) * s / state.scale;
  state.ty = y - (y - state.ty) * s / state.scale;
  state.scale = s;
  place();
}, {passive: false});
let drag = null;
vp.addEventListener("mousedown", (ev) => { drag = {x: ev.clientX, y: ev.clientY, tx: state.tx, ty: state.ty, moved: false}; vp.classList.add("dragging"); });
window.addEventListener("mousemove", (ev) => {
  if (!drag) return;
  const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
  if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
  state.tx = drag.tx + dx; state.ty = drag.ty + dy; place();
});
window.addEventListener("mouseup", () => { vp.classList.remove("dragging"); setTimeout(() => { drag = null; }, 0); });

svgEvents();
function svgEvents() {
  $("stage").addEventListener("mouseover", (ev) => {
    const g = ev.target.closest("g.node");
    if (g && state.picked === null) $("node").innerHTML = "<h3>Node under the pointer</h3>" + nodeDetails(+g.dataset.k);
  });
  $("stage").addEventListener("click", (ev) => {
    if (drag && drag.moved) return;
    const g = ev.target.closest("g.node");
    if (state.picked !== null && nodes[state.picked]) nodes[state.picked].classList.remove("picked");
    state.picked = g ? +g.dataset.k : null;
    if (g) { g.classList.add("picked"); $("node").innerHTML = '<h3>Pinned node <span class="muted">(click the background to unpin)</span></h3>' + nodeDetails(state.picked); }
  });
}

// ---- stepping -----------------------------------------------------------------------------
const total = () => (state.mode === "backward" ? E.length : nRows);
const currentRows = () => {
  if (state.pos === 0) return [];
  if (state.mode === "forward") return [state.pos - 1];
  const e = E[state.pos - 1], out = [];
  for (let i = e[0]; i < e[0] + e[1]; i++) out.push(i);
  return out;
};
function stepOf(pos) {
  if (pos <= 0) return null;
  const i = state.mode === "forward" ? pos - 1 : E[pos - 1][0];
  return row(i).scope + "|" + row(i).step;
}
function go(pos) {
  state.pos = Math.max(0, Math.min(total(), pos));
  update();
}
function jumpStep(dir) {
  const here = stepOf(state.pos);
  let p = state.pos + dir;
  while (p > 0 && p < total() && stepOf(p) === here) p += dir;
  if (dir < 0) { const there = stepOf(p); while (p > 1 && stepOf(p - 1) === there) p -= 1; }
  go(p);
}
function update() {
  $("slider").max = total();
  $("slider").value = state.pos;
  $("pos").textContent = `${state.mode}: ${state.pos} / ${total()} records` + (state.mode === "backward" ? " (in reverse recording order)" : "");
  const cur = new Set(currentRows().map((i) => pic.rows[i]).filter((k) => k >= 0));
  const recv = new Set();
  if (state.pos > 0) for (const i of currentRows()) for (const s of D.src[i]) {
    const k = s >= 0 ? pic.rows[s] : pic.leaves[-1 - s];
    if (k >= 0 && !cur.has(k)) recv.add(k);
  }
  nodes.forEach((g, k) => {
    if (!g) return;
    g.classList.toggle("pending", state.pos > 0 && state.pos < total() && reachedAt(k) > state.pos && !recv.has(k));
    g.classList.toggle("current", cur.has(k));
    g.classList.toggle("receiving", state.mode === "backward" && recv.has(k));
  });
  for (const [a, b, g] of edges) g.classList.toggle("flow", recv.has(a) && cur.has(b));  // the edges it travels
  const first = [...cur][0];
  if (first !== undefined && nodes[first]) follow(nodes[first]);
  $("event").innerHTML = state.mode === "backward" ? backwardText() : forwardText();
  weights();
}
// ---- controls -----------------------------------------------------------------------------
const views = [...new Set(D.pictures.map((p) => p.view))];
$("views").innerHTML = views.map((v) => `<button data-view="${esc(v)}">${esc(v)}</button>`).join("");
$("views").addEventListener("click", (ev) => { const b = ev.target.closest("button"); if (b) { state.view = b.dataset.view; show(); } });
$("expand").onclick = () => { state.expanded = !state.expanded; show(); };
$("fit").onclick = fit;
$("start").onclick = () => go(0);
$("end").onclick = () => go(total());
$("prev").onclick = () => go(state.pos - 1);
$("next").onclick = () => go(state.pos + 1);
$("prev-step").onclick = () => jumpStep(-1);
$("next-step").onclick = () => jumpStep(1);
$("slider").oninput = () => go(+$("slider").value);
$("play").onclick = () => {
  if (state.playing) { clearInterval(state.playing); state.playing = null; $("play").textContent = "play"; return; }
  if (state.pos >= total()) go(0);
  $("play").textContent = "pause";
  state.playing = setInterval(() => { if (state.pos >= total()) $("play").onclick(); else go(state.pos + 1); }, 250);
};
document.querySelectorAll("input[name=mode]").forEach((el) => el.addEventListener("change", () => {
  state.mode = el.value; state.pos = 0; nodeFirst = null; update();
}));
if (!E.length) { $("mode-forward").checked = true; $("mode-backward").disabled = true; }
window.addEventListener("keydown", (ev) => {
  const keys = {ArrowRight: () => go(state.pos + 1), ArrowLeft: () => go(state.pos - 1), Home: () => go(0),
                End: () => go(total()), f: fit, " ": () => $("play").onclick()};
  if (keys[ev.key] && ev.target.tagName !== "INPUT") { ev.preventDefault(); keys[ev.key](); }
});
window.addEventListener("resize", fit);
show();
window.explorerReady = true;
