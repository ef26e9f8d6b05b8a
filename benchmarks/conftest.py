"""Benchmarks: run with ``pytest benchmarks/ --benchmark-only -n 0``.

``-n 0``: in one process, not on the pytest-xdist workers the tests use.

Each benchmark records its throughput in ``benchmark.extra_info`` so that the
saved JSON (``--benchmark-json``) carries it beside the timings.
"""
