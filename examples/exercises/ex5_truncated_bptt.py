"""Exercise 5: truncated backpropagation through time.

A long sequence, cut into chunks of k steps. For each chunk: run the model from the
state the previous chunk ended in, take the chunk's loss, call backward. The state is
carried forward as values but cut from the graph (detached), so no gradient crosses from
one chunk into the one before it: each backward pass is k steps long, however long the
sequence.

Here the weights are not updated between chunks, so the parameters' .grad simply add up
over the chunks (do not zero them in between).

    model(x_chunk, state) -> (out, state)  for a tl.nn.RNN / LSTM / GRU; state None at first
    loss of a chunk = (out * u_chunk).sum(),  u_chunk the same steps of u as x_chunk
    tl.nn.utils.detach_state(state)          cuts a state (h, or (h, c)) from the graph

x and u are time-major: (T, B, ...). The last chunk may be shorter than k.

    tinygrad-lstm exercise check 5

compares the summed .grad of every parameter with tl.nn.utils.truncated_bptt's.
"""
import tinygrad_lstm as tl


def truncated_backward(model, x, u, k):
    """Accumulate the truncated gradient in model's parameters' .grad. Return nothing."""
    raise NotImplementedError
