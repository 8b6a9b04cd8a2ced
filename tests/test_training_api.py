"""What training scripts reach for, used the way a PyTorch user writes them: Tensor.argmax
against torch, and one script with an embedding, a scheduler, value clipping, softmax and
a checkpoint resumed mid-run."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lstm as tl

needs_argmax = pytest.mark.skipif(not hasattr(tl.Tensor, "argmax"),
                                  reason="Tensor.argmax is not in this tree yet")


@needs_argmax
@pytest.mark.parametrize("shape,dim", [((7,), None), ((7,), 0), ((7,), -1), ((3, 5), None),
                                       ((3, 5), 0), ((3, 5), 1), ((2, 3, 4), None), ((2, 3, 4), 1),
                                       ((2, 3, 4), -1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_matches_torch(shape, dim, keepdim):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(shape))
    x = rng.integers(0, 4, size=shape).astype(np.float64)    # small ints: ties, first one wins
    ours = tl.tensor(x).argmax(dim=dim, keepdim=keepdim)
    theirs = torch.tensor(x).argmax(dim=dim, keepdim=keepdim)
    assert ours.shape == tuple(theirs.shape)
    assert ours.backend.dtype_name(ours.dtype) == "int64"
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert not ours.requires_grad


@needs_argmax
def test_argmax_positional_dim_and_nan():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, np.nan, 3.0], [2.0, 5.0, 5.0]])
    np.testing.assert_array_equal(tl.tensor(x).argmax(1).numpy(), torch.tensor(x).argmax(1).numpy())
    assert tl.tensor(x).argmax().item() == torch.tensor(x).argmax().item()


@needs_argmax
def test_argmax_on_backend(backend):
    x = tl.tensor(np.array([[0.0, 2.0, 1.0], [3.0, 1.0, 3.0]]), dtype="float32", requires_grad=True,
                  backend=backend)
    out = x.argmax(dim=1)
    assert out.backend is tl.get_backend(backend)
    np.testing.assert_array_equal(out.numpy(), [1, 0])
    assert x.argmax().item() == 3


def _script(steps, resume_at=None):
    """Next-token prediction on a repeating sequence, written as a PyTorch user would."""
    tl.manual_seed(0)
    vocab = 6
    emb, lstm, head = tl.nn.Embedding(vocab, 8), tl.nn.LSTM(8, 16), tl.nn.Linear(16, vocab)
    params = emb.parameters() + lstm.parameters() + head.parameters()
    opt = tl.optim.Adam([{"params": emb.parameters(), "lr": 0.02},
                         {"params": lstm.parameters() + head.parameters()}], lr=0.03)
    sched = tl.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    ids = np.array([[0, 1, 2, 3, 4, 5] * 3]).T
    checkpoint = None
    for step in range(steps):
        if step == resume_at:   # rebuild everything from the checkpoint, as after a restart
            tl.manual_seed(1)
            emb, lstm, head = tl.nn.Embedding(vocab, 8), tl.nn.LSTM(8, 16), tl.nn.Linear(16, vocab)
            for module, key in ((emb, "emb"), (lstm, "lstm"), (head, "head")):
                module.load_state_dict(checkpoint[key])
            params = emb.parameters() + lstm.parameters() + head.parameters()
            opt = tl.optim.Adam([{"params": emb.parameters(), "lr": 0.02},
                                 {"params": lstm.parameters() + head.parameters()}], lr=0.03)
            sched = tl.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
            opt.load_state_dict(checkpoint["opt"])
            sched.load_state_dict(checkpoint["sched"])
        out, _ = lstm(emb(ids[:-1]))
        logits = head(out).reshape(-1, vocab)
        loss = tl.nn.functional.cross_entropy(logits, ids[1:, 0])
        opt.zero_grad()
        loss.backward()
        tl.nn.utils.clip_grad_value_(params, 1.0)
        opt.step()
        sched.step()
        if resume_at is not None and step == resume_at - 1:
            checkpoint = dict(emb=emb.state_dict(), lstm=lstm.state_dict(), head=head.state_dict(),
                              opt=opt.state_dict(), sched=sched.state_dict())
    probs = tl.nn.functional.softmax(logits).numpy()
    return loss.item(), probs, params


def test_training_script_learns_and_resumes_exactly():
    loss, probs, params = _script(40)
    assert loss < 0.05
    assert (probs.argmax(axis=1) == np.array([1, 2, 3, 4, 5, 0] * 3)[:-1]).all()
    loss2, _, params2 = _script(40, resume_at=17)
    assert loss2 == loss
    for a, b in zip(params, params2):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
