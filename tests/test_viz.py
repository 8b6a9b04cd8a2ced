"""The unrolled-graph renderer: what the DOT says (clusters, shared parameters, elision,
views, gradients), determinism and golden files. Rendering to pictures is in
test_viz_render.py, very long graphs in test_viz_scale.py.

Run as a script to rewrite the golden files after an intended change:
    python tests/test_viz.py --update-golden
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lstm as tl
from tinygrad_lstm.viz.collect import collect as collect_graph
from tinygrad_lstm import viz
import viz_examples as examples
from viz_examples import nn_loss

pytest.importorskip("graphviz")

GOLDEN = Path(__file__).parent / "golden"


# ---- reading DOT back ----------------------------------------------------------------
NODE = re.compile(r"^\s*(n\d+) \[(.*)\]$")
EDGE = re.compile(r"^\s*(n\d+)(?::[\w]+)*(?::[nsew])? -> (n\d+)(?::[\w]+)*(?::[nsew])?(?: \[(.*)\])?$")
CELL_STEP = re.compile(r">t=(\d+)<")
OPEN = re.compile(r"^\s*subgraph (cluster_\w+) \{$")


class Dot:
    """Nodes (with the clusters around them), edges and clusters parsed from DOT text."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.nodes: dict[str, str] = {}          # id -> attribute text
        self.where: dict[str, tuple] = {}        # id -> enclosing cluster names, outer first
        self.edges: list[tuple[str, str, str]] = []
        self.clusters: dict[str, tuple] = {}     # name -> enclosing cluster names
        self.cluster_labels: dict[str, str] = {}
        stack: list[str] = []
        for line in source.splitlines():
            if m := OPEN.match(line):
                self.clusters[m.group(1)] = tuple(stack)
                stack.append(m.group(1))
            elif line.strip() == "}" and stack:
                stack.pop()
            elif line.strip().startswith("graph [label=") and stack:
                self.cluster_labels[stack[-1]] = re.match(r'\s*graph \[label="([^"]*)"', line).group(1)
            elif (m := EDGE.match(line)) and "style=invis" not in line:
                self.edges.append((m.group(1), m.group(2), m.group(3) or ""))
            elif m := NODE.match(line):
                self.nodes[m.group(1)] = m.group(2)
                self.where[m.group(1)] = tuple(stack)

    def label(self, node: str) -> str:
        m = re.match(r'label=("(?:[^"\\]|\\.)*"|<.*>)', self.nodes[node])
        return m.group(1) if m else ""

    def find(self, pattern: str) -> list[str]:
        return [n for n in self.nodes if re.search(pattern, self.label(n))]

    def step_clusters(self, layer: str = "") -> dict[int, str]:
        """t -> cluster name, for the step clusters of `layer` (its sanitised scope)."""
        found = {}
        for name in self.clusters:
            m = re.fullmatch(rf"cluster_{layer}_?t(\d+)", name) if layer else re.fullmatch(r"cluster_(?:\w+_)?t(\d+)", name)
            if m:
                found[int(m.group(1))] = name
        return found

    def step_of(self, node: str) -> int | None:
        """The step a node belongs to: its step cluster's, or a cell's own (t=3)."""
        if m := CELL_STEP.search(self.label(node)):
            return int(m.group(1))
        for name in reversed(self.where[node]):
            m = re.search(r"_t(\d+)$", name)
            if m:
                return int(m.group(1))
        return None

    def steps_drawn(self, layer: str) -> list[int]:
        """The steps drawn of `layer` (its sanitised scope): step clusters, or cells."""
        found = set(self.step_clusters(layer))
        found |= {self.step_of(n) for n in self.nodes if f"cluster_{layer}" in self.where[n]
                  and CELL_STEP.search(self.label(n))}
        return sorted(found)

    def successors(self, node: str) -> list[str]:
        return [b for a, b, _ in self.edges if a == node]


def unroll(*args, **kwargs):
    """The loss of a hand-unrolled net (its parameters are not needed after drawing)."""
    return examples.unroll(*args, **kwargs)[0]


def dot_of(loss, **kw) -> Dot:
    return Dot(viz.draw(loss, **kw).source)


def steps_reached(d: Dot, node: str) -> set[int]:
    """Steps whose clusters an edge from `node` enters, following nodes outside the steps
    (the transposed, joined weights a layer computes once are still the weights)."""
    reached, seen, todo = set(), {node}, [node]
    while todo:
        for nxt in d.successors(todo.pop()):
            step = d.step_of(nxt)
            if step is not None:
                reached.add(step)
            elif nxt not in seen and "steps elided" not in d.label(nxt):
                seen.add(nxt)
                todo.append(nxt)
    return reached


# ---- clusters and shared parameters --------------------------------------------------
def test_one_cluster_per_step_nested_in_its_layer():
    d = dot_of(unroll("rnn", steps=5, layers=2))
    for layer in ("rnn_l0", "rnn_l1"):
        steps = d.step_clusters(layer)
        assert sorted(steps) == [0, 1, 2, 3, 4]
        for t, name in steps.items():
            assert f"cluster_{layer}" in d.clusters[name]        # nested in the layer
            assert d.cluster_labels[name] == f"t={t}"
    assert d.cluster_labels["cluster_rnn_l0"] == "rnn.l0"
    # every op of a step sits in that step's cluster
    for node in d.find(r'^"tanh'):
        assert d.step_of(node) is not None


@pytest.mark.parametrize("view", ["op", "cell"])
def test_each_parameter_is_one_node_outside_the_steps_with_one_edge_into_the_first_step(view):
    """Drawn once, entering the first step only: no curve across the picture per step."""
    d = dot_of(unroll("lstm", steps=6, layers=2), view=view)
    for k in (0, 1):
        for name in (f"lstm.weight_l{k}", f"lstm.bias_l{k}"):
            (node,) = d.find(rf'^"{re.escape(name)}\\n')
            assert "(" in d.label(node)                          # its shape
            assert d.step_of(node) is None
            assert f"cluster_lstm_l{k}" in d.where[node]          # with its layer
            assert {d.step_of(n) for n in d.successors(node)} == {0}


def test_every_step_names_the_parameters_it_uses():
    d = dot_of(unroll("lstm", steps=6))
    for symbol in ("W", "b"):
        users = [n for n in d.find(rf"\\nuses {symbol}\\n") if "cluster_lstm_l0" in d.where[n]]
        assert sorted(d.step_of(n) for n in users) == list(range(6)), symbol


def test_parameter_labels_carry_name_and_shape():
    d = dot_of(unroll("rnn", steps=2, inputs=3, hidden=4))
    assert d.find(r'^"rnn\.weight_l0\\n\(7, 4\)"$')
    assert d.find(r'^"head\.weight\\n\(4, 1\)"$')


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("view", ["op", "cell"])
def test_nn_layers_parameters_enter_the_first_step_and_every_step_uses_them(kind, view):
    loss, model = nn_loss(kind, steps=5, layers=2)
    d = dot_of(loss, view=view)
    for name, _ in getattr(model, kind).named_parameters():
        full = f"{kind}.{name}"
        (node,) = d.find(rf'^"{re.escape(full)}\\n')
        assert d.step_of(node) is None
        assert {d.step_of(n) for n in d.successors(node)} == {0}, full
        if view == "op":         # W_ih, b_hh ... named in a label at every step
            symbol = viz.passes.symbol(full)
            users = [n for n in d.nodes if re.search(rf"uses [^\\]*{symbol}\b", d.label(n))
                     and f"cluster_{kind}_l{name[-1]}" in d.where[n]]
            assert {d.step_of(n) for n in users} == set(range(5)), full
    for k in (0, 1):
        assert d.steps_drawn(f"{kind}_l{k}") == [0, 1, 2, 3, 4]


def test_bookkeeping_is_drawn_only_when_asked_for():
    loss, _ = nn_loss("lstm", steps=3)
    ops = {d.label(n).split("\\n")[0].strip('"').split(" ")[0] for d in [dot_of(loss)] for n in d.nodes}
    assert not ops & {"split", "stack", "getitem", "transpose"}
    assert "concat" in ops                        # [x_t, h_{t-1}]: part of the equations
    d = dot_of(loss, bookkeeping=True)
    every = {d.label(n).split("\\n")[0].strip('"') for n in d.nodes}
    assert {"split", "stack", "getitem", "transpose"} <= every


def test_gates_are_named_in_the_op_view():
    for kind, gates in (("lstm", "ifgo"), ("gru", "rzn")):
        loss, _ = nn_loss(kind, steps=2)
        d = dot_of(loss)
        for gate in gates:
            named = d.find(rf'^"(sigmoid|tanh) → {gate}\\n')
            assert sorted(d.step_of(n) for n in named) == [0, 1], (kind, gate)


def test_the_first_step_names_its_inputs_not_the_unrecorded_concat():
    loss, _ = nn_loss("lstm", steps=3, inputs=3, hidden=8)
    d = dot_of(loss, view="cell")
    (first,) = [n for n in d.nodes if ">t=0<" in d.label(n)]
    label = d.label(first)
    for text in (">x_0<", ">h_init<", ">c_init<", "x: (2, 3)", "h, c: (2, 8)"):
        assert text in label, text
    assert "concat" not in label
    op = dot_of(loss)
    assert op.find(r'^"concat\(x_0, h_init\)\\n\(2, 11\)"')


def test_user_names_are_shown():
    W = tl.tensor(np.full((2, 2), 0.5), requires_grad=True)
    W.name = "W_rec"
    h = tl.tensor(np.ones((1, 2)))
    h.name = "start"
    for t in range(2):
        with tl.scope("rnn", step=t):
            h = tl.tanh(h @ W)
            h.name = "memory"
    d = dot_of(h.sum())
    assert d.find(r'^"W_rec\\n') and d.find(r'^"start\\n')
    assert len(d.find(r'^"tanh → memory\\n')) == 2


def test_fused_and_composed_layers_give_the_same_cell_and_rolled_views():
    for view in ("cell", "rolled"):
        composed = viz.draw(nn_loss("lstm", steps=5, layers=2)[0], view=view).source
        fused = viz.draw(nn_loss("lstm", steps=5, layers=2, fused=True)[0], view=view).source
        assert composed == fused, view


def test_rolled_view_draws_each_layer_once_with_its_loop_marked():
    loss, _ = nn_loss("lstm", steps=7, layers=2)
    d = dot_of(loss, view="rolled")
    cells = [n for n in d.nodes if "t = 0 ... 6" in d.label(n)]
    assert len(cells) == 2 and all("7 steps" in d.label(n) for n in cells)
    loops = [(a, attrs) for a, b, attrs in d.edges if a == b]
    assert sorted(a for a, _ in loops) == sorted(cells * 2)          # h and c, per layer
    assert sum('label="x7 steps"' in attrs for _, attrs in loops) == 2
    assert not d.step_clusters()
    layers = dot_of(loss, view="layer")
    assert len(layers.find(r"gates i f g o")) == 2        # gates named in every view


def test_legend_explains_what_is_drawn():
    d = dot_of(unroll("lstm", steps=3))
    legend = d.source[d.source.index("legend [label="):]
    for text in ("the cell state", "the hidden state", "a parameter", "double border",
                 "blue border", "matrix product"):
        assert text in legend, text
    grads = dot_of(unroll("lstm", steps=12), view="cell", grads=True).source
    legend = grads[grads.index("legend [label="):]
    for text in ("gradient norm", "blue: the cell-state path", "elided steps", "1e-8"):
        assert text in legend, text


# ---- elision ---------------------------------------------------------------------------
def test_middle_steps_collapse_into_one_node():
    d = dot_of(unroll("rnn", steps=20))
    assert sorted(d.step_clusters("rnn_l0")) == [0, 1, 2, 3, 16, 17, 18, 19]
    (elided,) = d.find(r"steps elided")
    assert d.label(elided).startswith('"t=4 ... t=15\\n12 steps elided')
    assert "cluster_rnn_l0" in d.where[elided] and d.step_of(elided) is None
    # the recurrence runs through it: t=3 -> elided -> t=16
    into = {d.step_of(a) for a, b, _ in d.edges if b == elided}
    out_of = {d.step_of(b) for a, b, _ in d.edges if a == elided}
    assert 3 in into and 16 in out_of
    # the weights enter the first step only
    (w,) = d.find(r'^"rnn\.weight_l0')
    assert [d.step_of(b) for a, b, _ in d.edges if a == w] == [0]


@pytest.mark.parametrize("max_steps, kept", [(1, [0]), (2, [0, 9]), (5, [0, 1, 2, 8, 9]),
                                             (10, list(range(10))), ("all", list(range(10)))])
def test_max_steps(max_steps, kept):
    d = dot_of(unroll("lstm", steps=10), view="cell", max_steps=max_steps)
    assert d.steps_drawn("lstm_l0") == kept
    assert bool(d.find("steps elided")) == (len(kept) < 10)


def test_default_drawing_does_not_grow_with_length():
    sizes = []
    for steps in (20, 40):
        d = dot_of(unroll("lstm", steps=steps))
        sizes.append((len(d.nodes), len(d.edges), len(d.clusters)))
    assert sizes[0] == sizes[1]
    assert viz.DEFAULT_MAX_STEPS == 8


@pytest.mark.parametrize("view", ["op", "cell", "layer"])
def test_node_and_edge_counts_grow_linearly_with_steps(view):
    counts = {}
    for steps in (5, 10, 20):
        d = dot_of(unroll("lstm", steps=steps, layers=2), view=view, max_steps="all")
        counts[steps] = np.array([len(d.nodes), len(d.edges), len(d.clusters)])
    per_step = (counts[10] - counts[5]) / 5
    np.testing.assert_array_equal(counts[20] - counts[10], per_step * 10)
    if view == "op":
        assert per_step[0] == 12 + 1 + 12      # 12 ops a layer (not the split), layer 0's x_t


def test_several_outputs_are_drawn_together():
    lstm = tl.nn.LSTM(3, 4, fused=False, generator=np.random.default_rng(0))
    x = tl.tensor(np.ones((3, 2, 3), dtype="float32"))
    d = dot_of(lstm(x), view="cell")                 # out, (h_n, c_n)
    outputs = [n for n in d.nodes if 'peripheries="2"' in d.nodes[n]]
    assert sorted(d.label(n).split("\\n")[-1] for n in outputs) == ['(1, 2, 4)"', '(1, 2, 4)"', '(3, 2, 4)"']


def test_bad_arguments():
    loss = unroll("rnn", steps=2)
    with pytest.raises(ValueError, match="view must be one of op, cell, rolled, layer"):
        viz.draw(loss, view="ops")
    with pytest.raises(ValueError, match="max_steps must be a positive int"):
        viz.draw(loss, max_steps=0)
    with pytest.raises(ValueError, match="nothing was recorded"):
        viz.draw(tl.tensor(np.ones(3)))
    with pytest.raises(TypeError, match="expected a Tensor"):
        viz.draw("loss")


# ---- views -----------------------------------------------------------------------------
def test_op_view_shows_every_primitive_with_its_output_shape():
    d = dot_of(unroll("lstm", steps=2, batch=2, hidden=4), bookkeeping=True)
    labels = [d.label(n) for n in d.nodes]
    for text in ('"matmul\\nuses W\\n(2, 16)"', '"split\\n4, axis=1\\n4 x (2, 4)"', '"sigmoid\\n(2, 4)"',
                 '"tanh\\n(2, 4)"', '"mul\\n(2, 4)"', '"concat\\naxis=1\\n(2, 7)"'):
        assert text in labels, text
    assert dot_of(unroll("gru", steps=1)).find(r'^"sub \(scalar\)')   # 1 - z: folded scalar


def test_cell_view_has_one_node_per_step_with_state_ports():
    d = dot_of(unroll("lstm", steps=4), view="cell")
    cells = [n for n in d.nodes if "<TABLE" in d.label(n)]
    assert len(cells) == 4
    by_step = {d.step_of(n): n for n in cells}
    for t in range(1, 4):
        label = d.label(by_step[t])
        for port, text in (("i_x", f"x_{t}"), ("i_h", f"h_{t - 1}"), ("i_c", f"c_{t - 1}"),
                           ("o_h", f"h_{t}")):
            assert f'PORT="{port}"' in label and f">{text}<" in label, (t, text)
    assert ">h_init<" in d.label(by_step[0]) or ">c_init<" in d.label(by_step[0])
    recurrent = [line for line in d.source.splitlines()
                 if re.search(r":o_[hc]:s -> n\d+:i_[hc]:n", line)]
    assert len(recurrent) == 2 * 3                # h and c between 4 steps
    assert all("#2166ac" in line for line in recurrent if ":o_c:" in line)


def test_time_runs_down_by_default_and_across_when_asked():
    d = dot_of(unroll("lstm", steps=3), view="cell")
    assert "rankdir=TB" in d.source
    assert len(re.findall(r":o_h:s -> n\d+:i_h:n", d.source)) == 2      # step to step, down
    across = dot_of(unroll("lstm", steps=3), view="cell", rankdir="LR")
    assert len(re.findall(r":o_h:e -> n\d+:i_h:w", across.source)) == 2
    assert len(re.findall(r"-> n\d+:params:w", across.source)) == 2    # W and b, once
    assert "rankdir=LR" in dot_of(unroll("lstm", steps=3), view="rolled").source


def test_rnn_and_gru_cells_carry_only_h():
    for kind in ("rnn", "gru"):
        d = dot_of(unroll(kind, steps=3), view="cell")
        assert ":o_h:s" in d.source and ":o_c" not in d.source


def test_layer_view_has_one_node_per_layer():
    d = dot_of(unroll("gru", steps=7, layers=3), view="layer")
    layers = d.find(r"^\"gru\.l\d\\n7 steps")
    assert len(layers) == 3
    assert not d.step_clusters()
    chain = {d.label(a)[1:7]: d.label(b)[1:7] for a, b, _ in d.edges
             if a in layers and b in layers}
    assert chain == {"gru.l0": "gru.l1", "gru.l1": "gru.l2"}


def test_cell_view_of_nn_layers_connects_step_t_of_layer_0_to_step_t_of_layer_1():
    loss, _ = nn_loss("lstm", steps=4, layers=2)
    d = dot_of(loss, view="cell")
    assert not d.find(r'^"stack')                # the stack read back step by step is not drawn
    ups = {(d.step_of(a), d.step_of(b)) for a, b, _ in d.edges
           if "cluster_lstm_l0" in d.where[a] and "cluster_lstm_l1" in d.where[b]}
    assert ups == {(t, t) for t in range(4)}


def test_cell_state_path_is_highlighted_in_the_lstm_only():
    lstm = dot_of(unroll("lstm", steps=3))
    blue = [(a, b) for a, b, attrs in lstm.edges if "#2166ac" in attrs]
    # per step f*c -> add inside it, and add -> the next step's f*c
    assert len(blue) == 3 + 2 + 1                # (and the initial c into step 0's f*c)
    assert {lstm.label(a)[:4] for a, _ in blue} <= {'"mul', '"add', '"c_i'}
    assert "#2166ac" not in dot_of(unroll("rnn", steps=3)).source


# ---- fused ops ---------------------------------------------------------------------------
def test_fused_lstm_layer_is_drawn_as_one_node_per_step_labelled_fused():
    loss, _ = nn_loss("lstm", steps=5, fused=True)
    d = dot_of(loss)
    steps = d.find(r'^"lstm_cell \(fused\)\\ngates i f g o\\n')
    assert len(steps) == 5 and {d.step_of(n) for n in steps} == set(range(5))
    assert all('shape="box3d"' in d.nodes[n] for n in steps)
    assert not d.find(r'^"(sigmoid|split)')       # no gate math drawn for the LSTM steps
    # its two outputs are two edges, labelled h and c
    assert d.source.count('taillabel="c"') == 4 and d.source.count('taillabel="h"') >= 4


def test_the_renderer_reads_tags_not_op_names():
    """An op merely named lstm_* is an ordinary op; a scan is drawn step by step because
    its record is tagged scan="lstm"; state names come from the tensors' names."""
    loss, _ = nn_loss("lstm", steps=3, fused=True)
    g = collect_graph(loss)
    assert [r.op for r in g.records if viz.is_fused(r)] == ["lstm_cell"] * 3
    assert not viz.is_fused(tl.tape.Record("lstm_anything", (), (), None, {}, {}))
    composed, _ = nn_loss("lstm", steps=2, fused=False)
    names = {n for row in collect_graph(composed).names for n in row if n}
    assert {"i", "f", "g", "o", "c", "h"} <= names


# ---- gradients ---------------------------------------------------------------------------
def _port_norms(d: Dot, port: str) -> dict[int, float]:
    """Cell view with grads: the norm printed next to each step's output port."""
    found = {}
    for node in d.nodes:
        m = re.search(rf'PORT="(?:o|up)_{port}"[^>]*>{port}_(\d+)  ([0-9.e+-]+)<', d.label(node))
        if m:
            found[int(m.group(1))] = float(m.group(2))
    return found


def test_gradient_view_shows_vanishing_in_the_rnn_and_not_in_the_lstm():
    ratios = {}
    for kind in ("rnn", "lstm"):
        d = dot_of(unroll(kind, steps=24, hidden=8, seed=1, forget_bias=3.0), view="cell",
                   grads=True)
        assert 'legend [label=<' in d.source
        h = _port_norms(d, "h")
        ratios[kind] = h[0] / h[23]
    assert ratios["rnn"] < 1e-6
    assert ratios["lstm"] > 1e3 * ratios["rnn"]


def test_gradient_view_uses_the_norms_of_a_tracked_backward():
    loss, params = examples.unroll("lstm", steps=3)
    with tl.viz.track_grad_norms():
        loss.backward()
    d = dot_of(loss, grads=True)
    root = d.find(r'^"mean')[0]
    assert "grad 1.0e+00" in d.label(root)       # d loss / d loss
    (w,) = d.find(r'^"lstm\.weight_l0')
    norm = np.linalg.norm(params["lstm.weight_l0"].grad.numpy())
    assert f"grad {norm:.1e}" in d.label(w)


def test_gradient_view_without_a_backward_runs_its_own_and_changes_nothing():
    loss = unroll("rnn", steps=3)
    records = tl.tape.reachable([loss._node])
    d = dot_of(loss, grads=True)
    assert all(r not in viz.grads._kept and r.vjp is not None for r in records)
    assert "grad 1.0e+00" in d.source
    loss.backward()                               # the graph is still intact
    assert all(r.vjp is None for r in records)


def test_gradient_view_after_an_untracked_backward_explains_what_to_do():
    loss = unroll("rnn", steps=2)
    loss.backward()
    with pytest.raises(RuntimeError, match="track_grad_norms"):
        viz.draw(loss, grads=True)


# ---- text ------------------------------------------------------------------------------
def test_tape_text_is_the_wengert_list():
    loss = unroll("lstm", steps=2)
    assert viz.tape_text(loss) == tl.format_tape(loss)
    lines = viz.tape_text(loss, grads=True).splitlines()
    plain = tl.format_tape(loss).splitlines()
    assert len(lines) == len(plain)
    assert all(a.startswith(b) for a, b in zip(lines, plain))
    assert lines[-1].endswith("grad 1.00e+00")
    assert "grad" not in lines[0]                # a leaf line


# ---- determinism and golden files ----------------------------------------------------
GOLDEN_CASES = {
    "rnn_op": lambda: viz.draw(unroll("rnn", steps=3)),
    "lstm_cell_2layers": lambda: viz.draw(unroll("lstm", steps=3, layers=2), view="cell"),
    "lstm_op_elided": lambda: viz.draw(unroll("lstm", steps=7), max_steps=2),
    "gru_layer": lambda: viz.draw(unroll("gru", steps=4, layers=2), view="layer"),
    "rnn_cell_grads": lambda: viz.draw(unroll("rnn", steps=10), view="cell", grads=True),
    "lstm_rolled_2layers": lambda: viz.draw(nn_loss("lstm", steps=6, layers=2)[0], view="rolled"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_dot(name):
    expected = (GOLDEN / f"viz_{name}.dot").read_text()
    assert GOLDEN_CASES[name]().source == expected


def test_identical_runs_give_byte_identical_dot():
    first = viz.draw(unroll("lstm", steps=12, layers=2), view="cell", grads=True).source
    second = viz.draw(unroll("lstm", steps=12, layers=2), view="cell", grads=True).source
    assert first == second
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            "from viz_examples import unroll; import tinygrad_lstm as tl; "
            "print(tl.viz.draw(unroll('gru', steps=12, layers=2)[0], grads=True).source)")
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2")]
    assert outs[0] == outs[1] == viz.draw(unroll("gru", steps=12, layers=2), grads=True).source + "\n"


if __name__ == "__main__" and "--update-golden" in sys.argv:
    GOLDEN.mkdir(exist_ok=True)
    for name, make in sorted(GOLDEN_CASES.items()):
        (GOLDEN / f"viz_{name}.dot").write_text(make().source)
        print("wrote", GOLDEN / f"viz_{name}.dot")
