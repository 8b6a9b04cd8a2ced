"""Fused ops: several primitives computed as one, with a hand-derived VJP.

Each fused op has a composed twin built from the primitives; tests prove the two agree.
"""
from __future__ import annotations
