"""Reference for exercise 3: the library's own composed cell."""
import tinygrad_lstm as tl


def lstm_cell(x, h, c, W, b):
    return tl.nn.cells.lstm_step(x, h, c, W, b)
