"""The application built on the library: the `tinygrad-lstm` command line (cli), the demo,
the training runs they share (experiments) and their plots. The only part of the package
that imports argparse, tqdm or matplotlib; nothing below it imports from here."""
