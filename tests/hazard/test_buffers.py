"""The pool of output buffers: memory is lent again only when no table refers to it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import riskmc
from riskmc.hazard.buffers import _Buffers
from riskmc.hazard.kernel import ATTACK_DTYPE, SPAN_DTYPE


@pytest.fixture(scope="module")
def default():
    return riskmc.default_scenario()


@pytest.fixture
def pool():
    p = _Buffers(limit=64 << 20)
    assert p.enabled, "the pool needs exact reference counts: CPython with the GIL"
    return p


def test_a_buffer_is_lent_again_only_when_nothing_refers_to_it(pool):
    raw, records = pool.take(10_000, ATTACK_DTYPE)
    assert records.dtype == ATTACK_DTYPE
    assert len(records) == 10_000
    pool.give(raw)
    del raw
    # The records (a view) are alive: the next request must get other memory.
    raw2, records2 = pool.take(10_000, ATTACK_DTYPE)
    assert not np.shares_memory(records, records2)
    pool.give(raw2)
    del raw2, records2
    tail = records[5:9]  # a slice of a view still holds the buffer
    del records
    raw3, records3 = pool.take(10_000, ATTACK_DTYPE)
    assert not np.shares_memory(tail, records3)
    pool.give(raw3)
    del raw3, records3
    del tail
    # Nothing refers to either buffer now: both are lent again, smallest first.
    a, _ = pool.take(10_000, ATTACK_DTYPE)
    b, _ = pool.take(10_000, ATTACK_DTYPE)
    assert len(pool._held) == 0
    assert a.nbytes == b.nbytes == 10_000 * ATTACK_DTYPE.itemsize


def test_the_smallest_free_buffer_that_fits_is_lent(pool):
    big, _ = pool.take(200_000, SPAN_DTYPE)
    small, _ = pool.take(20_000, SPAN_DTYPE)
    pool.give(big)
    pool.give(small)
    del big, small, _
    raw, records = pool.take(15_000, SPAN_DTYPE)
    assert raw.nbytes == 20_000 * SPAN_DTYPE.itemsize
    assert len(records) == 15_000


def test_the_pool_keeps_no_more_than_its_limit(pool):
    n = 2 * pool.limit // 5 // ATTACK_DTYPE.itemsize  # two tables fit, three do not
    raws = [pool.take(n, ATTACK_DTYPE)[0] for _ in range(4)]
    for raw in raws:
        pool.give(raw)
    assert pool.held_bytes <= pool.limit
    assert len(pool._held) == 2
    small, _ = pool.take(100, ATTACK_DTYPE)  # too small to pool: plain memory
    pool.give(small)
    assert len(pool._held) == 2


def test_kept_tables_survive_later_samples(default):
    first = riskmc.sample_hazard(default, 150, seed=4, threads=1)
    attacks = first.attacks.copy()
    closures = first.closures.copy()
    view = first.replication(70).blackouts  # a view into the first sample's buffers
    kept = view.copy()
    attack_view = first.replication(70).attacks  # the kernel's records, a view too
    attack_kept = attack_view.copy()
    frame = first.attacks  # pandas may or may not copy the fields: either way it must hold
    for seed in (5, 6):
        riskmc.sample_hazard(default, 150, seed=seed, threads=2)
    pd.testing.assert_frame_equal(first.attacks, attacks)
    pd.testing.assert_frame_equal(first.closures, closures)
    pd.testing.assert_frame_equal(frame, attacks)
    del first, frame
    riskmc.sample_hazard(default, 150, seed=7, threads=1)
    np.testing.assert_array_equal(view, kept)
    np.testing.assert_array_equal(attack_view, attack_kept)
    assert len(view) > 0
    assert len(attack_view) > 0


def test_memory_dropped_is_used_again_with_the_same_results(default):
    from riskmc.hazard.buffers import _BUFFERS

    assert _BUFFERS.enabled
    reference = riskmc.sample_hazard(default, 130, seed=8, threads=1).arrays
    held = len(_BUFFERS._held)
    for _ in range(3):
        again = riskmc.sample_hazard(default, 130, seed=8, threads=1)
        for name, table in reference.items():
            np.testing.assert_array_equal(again.arrays[name], table)
        del again
        # Each round takes back what the previous one dropped: the pool does not grow.
        assert len(_BUFFERS._held) == held


def test_release_buffers_hands_the_memory_back_and_spares_tables_in_use(default):
    from riskmc.hazard import release_buffers
    from riskmc.hazard.buffers import _BUFFERS

    kept = riskmc.sample_hazard(default, 70, seed=9, threads=1)
    copy = np.concatenate([b.tables["attacks"] for b in kept._blocks])  # the kernel's records
    riskmc.sample_hazard(default, 70, seed=10, threads=1)  # dropped: its memory is kept
    held = _BUFFERS.held_bytes
    assert release_buffers() == held
    assert _BUFFERS.held_bytes == 0
    riskmc.sample_hazard(default, 70, seed=11, threads=1)
    np.testing.assert_array_equal(np.concatenate([b.tables["attacks"] for b in kept._blocks]), copy)
