"""Hazard: sample attacks, campaigns, closures and blackouts (Numba kernels)."""

from riskmc.hazard.processes import ATTACK_PROCESSES, AttackProcess
from riskmc.hazard.sample import HazardSample, ReplicationEvents, release_buffers, sample_hazard

__all__ = [
    "ATTACK_PROCESSES",
    "AttackProcess",
    "HazardSample",
    "ReplicationEvents",
    "release_buffers",
    "sample_hazard",
]
