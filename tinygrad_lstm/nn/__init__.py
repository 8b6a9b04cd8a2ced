"""tl.nn: modules, cells and recurrent layers composed from the engine's primitive ops.

    lstm = tl.nn.LSTM(input_size=8, hidden_size=32, num_layers=2)
    out, (h_n, c_n) = lstm(x)              # x: (seq_len, batch, 8)
    lstm.load_state_dict({k: v.numpy() for k, v in torch_lstm.state_dict().items()})
"""
from . import functional, init, utils
from .basic import Dropout, Embedding, Linear
from .cells import LSTM_GATES, GRU_GATES, GRUCell, LSTMCell, RNNCell
from ..io import StateDictError
from .module import Module, Parameter
from .recurrent import GRU, LSTM, RNN
from .variants import OriginalLSTMCell, PeepholeLSTMCell

__all__ = [
    "Module", "Parameter", "StateDictError", "Linear", "Dropout", "Embedding", "RNNCell", "LSTMCell",
    "GRUCell", "PeepholeLSTMCell", "OriginalLSTMCell", "RNN", "LSTM", "GRU", "LSTM_GATES",
    "GRU_GATES", "functional", "init", "utils",
]
