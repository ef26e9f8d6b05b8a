"""Numbers-or-distributions for scenario parameters.

Any numeric scenario parameter may be written either as a plain number or as a
mapping with a ``dist`` key, e.g. ``{dist: lognormal, median: 14, sigma: 0.4}``.
This module holds the distribution models, the registry ``DISTRIBUTIONS`` that
maps each ``dist`` name to its model, and :class:`Bounds`, the annotation that
turns ``float | Distribution`` into a validated scenario field with a range
rule (``>= 0``, ``<= 1``, ...) that applies to a number and to a distribution's
support alike.

Sampling is deliberately not done here: the hazard stage draws every random
number, from counter-based streams (SPEC.md, "Parameter uncertainty"). What
lives here is what the scenario layer needs: validation, the support (for the
range rules), the mean (for reports and the plan), and a flat numeric encoding
(``code``, ``params``) for the compiled kernels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, model_validator
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "DISTRIBUTIONS",
    "Beta",
    "Bounds",
    "Distribution",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Param",
    "Triangular",
    "Uniform",
    "param_mean",
    "param_quantile",
    "param_quantiles",
]

_StrictFloat = Field(strict=True, allow_inf_nan=False)


class _Dist(BaseModel):
    """Common base of the distribution models (frozen, unknown keys rejected)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Integer code used by the compiled kernels; stable across versions.
    code: ClassVar[int]

    def support(self) -> tuple[float, float]:
        """Smallest and largest value a draw can take (may be infinite)."""
        raise NotImplementedError

    def mean(self) -> float:
        """Expected value of a draw."""
        raise NotImplementedError

    def params(self) -> tuple[float, float, float, float]:
        """Four numbers that, with :attr:`code`, define the distribution."""
        raise NotImplementedError


class Fixed(_Dist):
    """A constant, written as a distribution (useful in generated files)."""

    dist: Literal["fixed"] = "fixed"
    value: float = _StrictFloat
    code: ClassVar[int] = 0

    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def mean(self) -> float:
        return self.value

    def params(self) -> tuple[float, float, float, float]:
        return (self.value, 0.0, 0.0, 0.0)


class Uniform(_Dist):
    """Uniform on ``[low, high]``."""

    dist: Literal["uniform"] = "uniform"
    low: float = _StrictFloat
    high: float = _StrictFloat
    code: ClassVar[int] = 1

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.high > self.low:
            raise PydanticCustomError(
                "riskmc_rule",
                "high must be > low, got low={low} high={high}",
                {"low": self.low, "high": self.high},
            )
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    def params(self) -> tuple[float, float, float, float]:
        return (self.low, self.high, 0.0, 0.0)


class Triangular(_Dist):
    """Triangular on ``[low, high]`` with its peak at ``mode``."""

    dist: Literal["triangular"] = "triangular"
    low: float = _StrictFloat
    mode: float = _StrictFloat
    high: float = _StrictFloat
    code: ClassVar[int] = 2

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise PydanticCustomError(
                "riskmc_rule",
                "must have low <= mode <= high and low < high, got {low}, {mode}, {high}",
                {"low": self.low, "mode": self.mode, "high": self.high},
            )
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    def params(self) -> tuple[float, float, float, float]:
        return (self.low, self.mode, self.high, 0.0)


class Lognormal(_Dist):
    """Lognormal given by its median and the sigma of its logarithm.

    A draw is ``median * exp(sigma * Z)`` with ``Z`` standard normal, so half
    the draws fall below ``median`` and the mean is
    ``median * exp(sigma**2 / 2)``.
    """

    dist: Literal["lognormal"] = "lognormal"
    median: float = Field(strict=True, gt=0, allow_inf_nan=False)
    # sigma 5 already spans a factor of 1e4 between the 5th and 95th percentiles
    sigma: float = Field(strict=True, ge=0, le=5, allow_inf_nan=False)
    code: ClassVar[int] = 3

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf) if self.sigma > 0 else (self.median, self.median)

    def mean(self) -> float:
        return self.median * math.exp(0.5 * self.sigma**2)

    def params(self) -> tuple[float, float, float, float]:
        return (self.median, self.sigma, 0.0, 0.0)


class Gamma(_Dist):
    """Gamma with ``shape`` k and ``scale`` theta (mean k * theta)."""

    dist: Literal["gamma"] = "gamma"
    shape: float = Field(strict=True, gt=0, allow_inf_nan=False)
    scale: float = Field(strict=True, gt=0, allow_inf_nan=False)
    code: ClassVar[int] = 4

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def mean(self) -> float:
        return self.shape * self.scale

    def params(self) -> tuple[float, float, float, float]:
        return (self.shape, self.scale, 0.0, 0.0)


class Beta(_Dist):
    """Beta(a, b), optionally stretched from ``[0, 1]`` to ``[low, high]``."""

    dist: Literal["beta"] = "beta"
    a: float = Field(strict=True, gt=0, allow_inf_nan=False)
    b: float = Field(strict=True, gt=0, allow_inf_nan=False)
    low: float = Field(default=0.0, strict=True, allow_inf_nan=False)
    high: float = Field(default=1.0, strict=True, allow_inf_nan=False)
    code: ClassVar[int] = 5

    @model_validator(mode="after")
    def _ordered(self) -> Beta:
        if not self.high > self.low:
            raise PydanticCustomError(
                "riskmc_rule",
                "high must be > low, got low={low} high={high}",
                {"low": self.low, "high": self.high},
            )
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def mean(self) -> float:
        return self.low + (self.high - self.low) * self.a / (self.a + self.b)

    def params(self) -> tuple[float, float, float, float]:
        return (self.a, self.b, self.low, self.high)


Distribution: TypeAlias = Fixed | Uniform | Triangular | Lognormal | Gamma | Beta
#: Registry of the ``dist:`` names a scenario may use.
DISTRIBUTIONS: dict[str, type[_Dist]] = {
    "fixed": Fixed,
    "uniform": Uniform,
    "triangular": Triangular,
    "lognormal": Lognormal,
    "gamma": Gamma,
    "beta": Beta,
}
#: A scenario parameter: a plain number or a distribution.
Param: TypeAlias = float | Distribution


def param_mean(value: Param) -> float:
    """Expected value of a parameter, number or distribution."""
    if isinstance(value, float | int):
        return float(value)
    return value.mean()


def param_quantile(value: Param, u: float) -> float:
    """The ``u``-quantile of a parameter (its value if it is a number).

    Used for per-event amounts, e.g. the damage of one attack from the
    attack's uniform ``mark``.

    Examples
    --------
    >>> param_quantile(Lognormal(median=2.0, sigma=1.0), 0.5)
    2.0
    >>> param_quantile(Triangular(low=0.0, mode=0.0, high=1.0), 0.75)
    0.5
    """
    from scipy import special

    if isinstance(value, float | int):
        return float(value)
    u = min(max(float(u), 0.0), 1.0)
    if isinstance(value, Fixed):
        return value.value
    if isinstance(value, Uniform):
        return value.low + u * (value.high - value.low)
    if isinstance(value, Triangular):
        lo, mode, hi = value.low, value.mode, value.high
        if hi == lo:
            return lo
        cut = (mode - lo) / (hi - lo)
        if u <= cut:
            return lo + math.sqrt(u * (hi - lo) * (mode - lo))
        return hi - math.sqrt((1.0 - u) * (hi - lo) * (hi - mode))
    if isinstance(value, Lognormal):
        return value.median * math.exp(value.sigma * float(special.ndtri(u)))
    if isinstance(value, Gamma):
        return value.scale * float(special.gammaincinv(value.shape, u))
    x = float(special.betaincinv(value.a, value.b, u))
    return value.low + x * (value.high - value.low)


def param_quantiles(value: Param, u: NDArray[np.float64]) -> NDArray[np.float64]:
    """:func:`param_quantile` of each uniform of ``u`` (the same formulas, on arrays).

    Examples
    --------
    >>> param_quantiles(Uniform(low=1.0, high=3.0), np.array([0.0, 0.5])).tolist()
    [1.0, 2.0]
    """
    from scipy import special

    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    if isinstance(value, float | int):
        return np.full(u.shape, float(value))
    if isinstance(value, Fixed):
        return np.full(u.shape, value.value)
    if isinstance(value, Uniform):
        out = value.low + u * (value.high - value.low)
    elif isinstance(value, Triangular):
        lo, mode, hi = value.low, value.mode, value.high
        if hi == lo:
            return np.full(u.shape, lo)
        cut = (mode - lo) / (hi - lo)
        left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
        right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mode))
        out = np.where(u <= cut, left, right)
    elif isinstance(value, Lognormal):
        out = value.median * np.exp(value.sigma * special.ndtri(u))
    elif isinstance(value, Gamma):
        out = value.scale * special.gammaincinv(value.shape, u)
    else:
        out = value.low + special.betaincinv(value.a, value.b, u) * (value.high - value.low)
    return np.asarray(out, dtype=np.float64)


def _dist_tag(value: Any) -> str | None:
    if isinstance(value, _Dist):
        return f"<{value.dist}>"  # type: ignore[attr-defined]
    if isinstance(value, dict):
        name = value.get("dist")
        return f"<{name}>" if isinstance(name, str) else None
    return None


def _param_tag(value: Any) -> str:
    return "<dist>" if isinstance(value, dict | _Dist) else "<number>"


def _fmt(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Bounds:
    """Field annotation for a number-or-distribution with a range rule.

    Use as ``Annotated[Param, Bounds(ge=0)]``. A plain number must satisfy the
    rule; a distribution must have its whole support inside it, so that no
    draw can break it (a probability may be ``beta`` or ``uniform(0.2, 0.6)``
    but not ``lognormal``). For a strict bound (``gt``, ``lt``) a continuous
    distribution whose support merely touches the bound is accepted, since a
    draw equals it with probability zero.

    Errors carry the type ``riskmc_rule``; their message is the rule, e.g.
    ``must be >= 0, got -2``.

    ``mean_le`` is a ceiling on a plain number or on a distribution's mean (not its
    support, which may be unbounded): a sanity limit far beyond any real case, so that a
    slip (1e308 attacks a year) is refused here rather than exhausting memory later.
    """

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    mean_le: float | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        number = core_schema.float_schema(
            strict=True, allow_inf_nan=False, ge=self.ge, gt=self.gt, le=self.le, lt=self.lt
        )
        dists = core_schema.tagged_union_schema(
            {f"<{name}>": handler.generate_schema(model) for name, model in DISTRIBUTIONS.items()},
            discriminator=_dist_tag,
        )
        union = core_schema.tagged_union_schema(
            {"<number>": number, "<dist>": dists}, discriminator=_param_tag
        )
        return core_schema.no_info_after_validator_function(self._check_support, union)

    def _check_support(self, value: Param) -> Param:
        if isinstance(value, float | int):
            # the number schema already applied the other bounds
            if self.mean_le is not None and value > self.mean_le:
                raise PydanticCustomError(
                    "riskmc_rule",
                    "must be <= {bound}, got {value}",
                    {"bound": _fmt(self.mean_le), "value": _fmt(float(value))},
                )
            return value
        if self.mean_le is not None and not value.mean() <= self.mean_le:
            raise PydanticCustomError(
                "riskmc_rule",
                "the mean must be <= {bound}, but this {name} distribution's is {mean}",
                {"bound": _fmt(self.mean_le), "name": value.dist, "mean": _fmt(value.mean())},
            )
        lo, hi = value.support()
        point = lo == hi
        name = value.dist
        if self.ge is not None and lo < self.ge:
            self._fail(">=", self.ge, name, lo)
        if self.gt is not None and (lo < self.gt or (point and lo <= self.gt)):
            self._fail(">", self.gt, name, lo)
        if self.le is not None and hi > self.le:
            self._fail("<=", self.le, name, hi)
        if self.lt is not None and (hi > self.lt or (point and hi >= self.lt)):
            self._fail("<", self.lt, name, hi)
        return value

    @staticmethod
    def _fail(op: str, bound: float, name: str, edge: float) -> None:
        reach = "is unbounded" if math.isinf(edge) else f"reaches {_fmt(edge)}"
        raise PydanticCustomError(
            "riskmc_rule",
            "must be {op} {bound}, but this {name} distribution {reach}",
            {"op": op, "bound": _fmt(bound), "name": name, "reach": reach},
        )
