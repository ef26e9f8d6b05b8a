"""Slots of the compiled project model's vectors: a project's plan and a run's result.

A plan vector holds the numbers of a project's
:class:`~riskmc.supply.plans.ConstructionPlan` and
:class:`~riskmc.supply.plans.OperationsPlan` (filled by
:func:`riskmc.supply.compiled.twin.plan_vector` and the compiled engine); a
result vector what one run of :func:`riskmc.supply.compiled.project.simulate`
produced. Both are re-exported by :mod:`riskmc.supply.compiled.project`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["N_PLAN", "N_RESULT", "STILL", "Plan"]

# Slots of a run's result vector.
R_FINISH, R_MAT_STALL, R_STANDDOWN, R_SUSP_BUILD, R_BLACKOUT_DAYS = range(5)
R_CONVOYS, R_CONVOYS_PV, R_DELAYED, R_WAIT, R_LOSSES = range(5, 10)
R_DETOUR_TKM, R_BUILD_DETOUR, R_DETOUR_PV, R_PRODUCED, R_EXPORTED = range(10, 15)
R_EXPORT_PV, R_EXPORT_LOST, R_IDLE, R_STORAGE, R_POTENTIAL = range(15, 20)
R_MAT_LOST, R_MAT_LOST_PV, R_CON_LOST, R_CON_LOST_PV, R_STEPS = range(20, 25)
N_RESULT = 25

# Slots of a project's plan vector (the numbers of ConstructionPlan and OperationsPlan).
(
    P_HAS_BUILD,
    P_START,
    P_PLANNED_DAYS,
    P_MATERIAL_T,
    P_BUFFER_DAYS,
    P_BLACKOUT_PROD,
    P_CONVOY_T,
    P_LOSS_SHARE,
    P_COMMS,
    P_HAS_OPS,
    P_END,
    P_OUTPUT,
    P_CONSUMABLES,
    P_CONS_BUFFER,
    P_STORAGE_DAYS,
    P_RAIL,
    P_TRAINS,
    P_SURGE,  # NaN: none
    P_TRAIN_T,
    P_RAMP_DAYS,
    P_PRICE,
    P_DISCOUNT,
    P_PORT,
    P_SITE,
    P_INBOUND_LEAD,
    P_KM_PLANNED,
    P_EXPORT_KM,
) = range(27)
N_PLAN = 27
Plan = NDArray[np.float64]
#: Regimes in a row with no time passing: a stuck clock (both phases' guard).
STILL = 10_000
