"""``write_plots`` writes each PNG all at once: an interrupted write leaves the previous file."""

from __future__ import annotations

import os

import pytest

from riskmc.analysis.plots import write_plots


def test_an_interrupted_plot_write_leaves_the_old_file_and_no_temp(
    tiny_result, tmp_path, monkeypatch
):
    paths = write_plots(tiny_result, tmp_path)
    before = {p: p.read_bytes() for p in paths}
    (tmp_path / "s_curve.png").write_bytes(b"the previous plot")
    before[tmp_path / "s_curve.png"] = b"the previous plot"

    def interrupted(fd: int) -> None:  # the write stops before it is complete
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_plots(tiny_result, tmp_path)
    assert {p: p.read_bytes() for p in paths} == before
    assert sorted(tmp_path.iterdir()) == sorted(paths)
