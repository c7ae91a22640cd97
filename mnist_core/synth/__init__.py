"""Synthetic training data made from nothing but a seed (and, for some, MNIST's digits)."""

from .negatives import GENERATORS, draw, negatives

__all__ = ["GENERATORS", "draw", "negatives"]
