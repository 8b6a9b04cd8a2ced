"""Tasks to train recurrent networks on, all generated or loaded offline.

- adding_problem: sum the two marked numbers of a long sequence (long time lags).
- copy_task: remember a string of symbols across a long blank delay and repeat it.
- paper1997: the tasks of Hochreiter & Schmidhuber (1997) with the paper's own criteria
  (the embedded Reber grammar, the noise-free long lag, its adding problem, temporal order).
- CharDataset: next-character prediction on any text; `load_corpus()` gives a small
  corpus of original fables shipped with the package.
"""
from . import paper1997
from .sequences import adding_problem, copy_task, copy_task_baseline
from .text import CharDataset, corpus_names, load_corpus

__all__ = ["adding_problem", "copy_task", "copy_task_baseline", "CharDataset", "load_corpus",
           "corpus_names"]
