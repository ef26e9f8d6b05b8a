"""A scenario made ready for either engine: what both need, worked out once.

The network, each project's route, districts and exposure, the districts that
delay and lost output are attributed to, and the columns of the outcome table.
The SimPy engine (:class:`riskmc.engine.simpy_engine.SimpyModel`) and the
compiled one (:class:`riskmc.engine.compiled.CompiledModel`) both read it;
:class:`riskmc.engine.propagate.ChunkModel` is one, with the engine chosen.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from riskmc.engine.cover import cover_keys, cover_years, debt_columns
from riskmc.engine.outcomes import driver_districts, outcome_schema
from riskmc.network import CorridorNetwork
from riskmc.scenario.schema import Project, Scenario
from riskmc.supply.project import district_of, exposure_districts, standdown_days

__all__ = ["PreparedScenario"]


class _Build(NamedTuple):
    """What a project needs, worked out once per simulation."""

    project: Project
    standdowns: tuple[float, float]
    site_district: int | None
    port_district: int | None
    exposure: NDArray[np.int64]
    start: float
    road_plan: NDArray[np.int64]


class PreparedScenario:
    """The per-scenario work both engines share: network, routes, districts, columns."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.network = net = CorridorNetwork.from_scenario(scenario)
        self.builds = []
        for p in scenario.projects:
            port, site = net.index(p.port), net.index(p.site)
            path = net.fastest_path(port, site)
            self.builds.append(
                _Build(
                    project=p,
                    standdowns=standdown_days(p),
                    site_district=district_of(scenario, p.site),
                    port_district=district_of(scenario, p.port),
                    exposure=np.array(sorted(exposure_districts(scenario, p, net)), dtype=np.int64),
                    start=scenario.day_of(p.construction.start) if p.construction else 0.0,
                    road_plan=np.array(path.segments if path else (), dtype=np.int64),
                )
            )
        names = [d.name for d in scenario.districts]
        self._seg_districts = [
            [names.index(n) for n in g.districts] for g in scenario.network.segments
        ]
        # districts that delay and lost output can be attributed to: those of the segments
        # and of the sites
        self.driver_districts = driver_districts(scenario)
        self._district_slot = {d: k for k, d in enumerate(self.driver_districts)}
        #: The columns of :meth:`run`'s table and their types (:func:`outcome_schema`):
        #: OUTCOME_COLUMNS, then one per driver district for delay, then one per driver
        #: district for lost output.
        self.schema = outcome_schema(scenario)
        self.columns = list(self.schema)
        #: The covers' column keys, the simulated years of their yearly columns, and the
        #: calendar years of the DSCR columns (:mod:`riskmc.engine.cover`).
        self.cover_keys = cover_keys(scenario)
        self.cover_years = cover_years(scenario)
        self.debt_columns = debt_columns(scenario)
