"""The compiled engine adds up convoys as NumPy does (residual columns stay equal)."""

import numpy as np
import pytest

from riskmc.supply.compiled.project import pairwise_sum


@pytest.mark.parametrize("n", [*range(0, 300, 7), 1000, 4096, 9999, 123_457])
def test_pairwise_sum_is_numpys_sum_bit_for_bit(n):
    a = np.random.default_rng(n).random(n) * 1e7
    assert pairwise_sum(a, 0, n) == a.sum()
    if n > 5:  # from an offset, as for a slice
        assert pairwise_sum(a, 5, n - 5) == a[5:].sum()


def test_pairwise_sum_differs_from_adding_in_order():
    # the reason it exists: in order, 10,000 loads of about 800 t drift by micro-tonnes
    a = 800.0 + np.random.default_rng(1).random(10_000)
    ordered = 0.0
    for x in a:
        ordered += x
    assert pairwise_sum(a, 0, len(a)) == a.sum() != ordered
