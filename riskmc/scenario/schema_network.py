"""The scenario schema, network: the places and the road and rail segments between them.

The models of the ``network`` block of a scenario file; :mod:`riskmc.scenario.schema`
gathers them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from riskmc.scenario.distributions import Bounds, Param
from riskmc.scenario.fields import Name, _Model

__all__ = [
    "Network",
    "Place",
    "Segment",
]


# ----------------------------------------------------------------------------- network

PlaceKind = Literal["port", "mine", "town", "city", "junction", "border", "depot"]


class Place(_Model):
    """A node of the network."""

    name: Name
    district: Name | None = Field(
        description="District the place lies in; null for a place outside the modelled "
        "province (no hazard there)."
    )
    kind: PlaceKind
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    source: str | None = None


class Segment(_Model):
    """A road or rail link between two places (usable both ways)."""

    name: Name
    mode: Literal["road", "rail"]
    from_: Name = Field(alias="from")
    to: Name
    km: Annotated[Param, Bounds(gt=0, mean_le=100_000)] = Field(description="Length [km].")
    kmh: Annotated[Param, Bounds(ge=1, mean_le=1_000)] = Field(
        description="Average speed while moving [km/h]."
    )
    districts: tuple[Name, ...] = Field(
        default=(), description="Districts the segment passes through (its hazard)."
    )
    source: str | None = None


class Network(_Model):
    places: tuple[Place, ...]
    segments: tuple[Segment, ...] = ()
