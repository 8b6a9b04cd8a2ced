"""The application built on the library: the `tinygrad-lstm` command line (cli.py, its
options in parser.py, its checks in checks.py), the demo, the training runs they share
(experiments.py) and their plots. argparse and tqdm are imported here and nowhere else in
the package, matplotlib here and at most lazily inside viz's own plotting functions;
nothing below this package imports from it."""
