"""The corridor network: fastest paths and trips under closures."""

from riskmc.network.graph import ROAD_DAY_START, Closures, CorridorNetwork, Path, Trip

__all__ = ["ROAD_DAY_START", "Closures", "CorridorNetwork", "Path", "Trip"]
