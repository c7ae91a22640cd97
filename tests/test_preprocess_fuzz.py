"""Property-based: any array either becomes a finite 1x28x28 tensor or raises the project's InputError."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mnist_core.errors import InputError
from mnist_core.preprocess import preprocess

DTYPES = st.sampled_from([np.uint8, np.uint16, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64, bool])
SHAPES = st.one_of(
    st.tuples(st.integers(1, 64), st.integers(1, 64)),
    st.tuples(st.integers(1, 48), st.integers(1, 48), st.sampled_from([1, 2, 3, 4])),
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 6), st.integers(1, 2)),  # odd ranks and sizes
)


def check(arr: np.ndarray) -> None:
    try:
        x = preprocess(arr)
    except InputError:
        return
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and torch.isfinite(x).all()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(DTYPES, SHAPES, elements=None))
def test_random_arrays(arr):
    check(arr)


@settings(max_examples=150, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(2, 40), st.integers(2, 40)),
           elements=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e6, 1e6))),
)  # fmt: skip
def test_nan_inf_and_huge_values(arr):
    check(arr)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 60), st.integers(1, 60), st.integers(0, 2**32 - 1))
def test_random_strokes(h, w, seed):
    rng = np.random.default_rng(seed)
    img = np.full((h, w), 255, np.uint8)
    for _ in range(rng.integers(0, 4)):
        y, x = rng.integers(0, h), rng.integers(0, w)
        img[max(0, y - 2) : y + 2, max(0, x - 6) : x + 6] = rng.integers(0, 256)
    check(img)
