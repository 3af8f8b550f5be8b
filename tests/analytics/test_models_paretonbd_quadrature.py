"""Pareto/NBD's death-term quadrature: the interval-sized rules match a 64-node rule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core.analytics._models import paretonbd


@settings(max_examples=40, deadline=None)
@given(log_params=st.lists(st.floats(-3.0, 3.0), min_size=4, max_size=4), seed=st.integers(0, 99))
def test_sized_rules_agree_with_64_nodes(log_params: list[float], seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    x = rng.poisson(3, n).astype(float)
    big_t = rng.uniform(0.2, 100, n)
    t = np.where(x > 0, big_t * rng.uniform(0, 0.999, n), 0.0)
    params = np.exp(np.array(log_params))
    got = paretonbd._dead_moments(params, x, t, big_t)
    cut = paretonbd._cut(params, x, t, big_t)
    reference = paretonbd._quadrature(params, x, t, cut, paretonbd._legendre_01(64))
    for k in range(4):
        scale = np.abs(reference[k]) if k in (1, 3) else np.maximum(1.0, np.abs(reference[k]))
        assert np.max(np.abs(got[k] - reference[k]) / scale) < 1e-11, k
    # the tiers are used: most rows of short intervals get fewer than 32 nodes
    assert len(paretonbd._TIERS) > 1
