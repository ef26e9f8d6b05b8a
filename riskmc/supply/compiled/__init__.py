"""The compiled engine: the project model as a Numba state machine (SPEC 3c).

The SimPy model of :mod:`riskmc.supply.model` is the reference; this package
runs the same rules without SimPy, one call per chunk of replications, and
the equality tests (``tests/engine/test_engines_equal.py``) keep the two
together replication by replication.
"""
