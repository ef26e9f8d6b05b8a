"""Benchmarks: run with ``pytest benchmarks/ --benchmark-only``.

Each benchmark records its throughput in ``benchmark.extra_info`` so that the
saved JSON (``--benchmark-json``) carries it beside the timings.
"""
