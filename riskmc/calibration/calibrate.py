"""``calibrate``: from an event export to a scenario's ``districts`` and ``hazard`` block.

The steps, each a public function of this package: read the export
(:func:`~riskmc.calibration.read_events`), filter it
(:func:`~riskmc.calibration.filter_events`), put events in districts and give
them targets (:func:`~riskmc.calibration.map_districts`), set campaign days
apart (:func:`~riskmc.calibration.detect_campaigns`), fit Poisson,
negative-binomial and Hawkes models to the rest and choose one
(:func:`~riskmc.calibration.choose_model`), then write what was learnt, with
its uncertainty, as scenario parameters (:meth:`Calibration.block`).

**Uncertainty written.** ``attacks_per_year`` of each district is a gamma
distribution: for Poisson, the Jeffreys posterior of the rate,
``Gamma(N + 1/2, 1/T)``; for the clustered models, the posterior when the
window's count is negative binomial with the model's variance-to-mean ratio
(``1 / (1 - n)^2`` for Hawkes; ``1 + m / k`` for the negative binomial, ``m``
the district's mean monthly count), as a gamma of the same mean and variance
(:func:`count_posterior`).
``branching_ratio`` is a beta on ``[0, 0.99]`` with the fit's mean and
standard error; ``decay_days`` and ``dispersion`` are lognormal with the
fit's value as median and the standard error of its logarithm as sigma.
``rate_multiplier`` is set to 1: the rates' own uncertainty replaces it.

**What is not written.** Fits that cannot be trusted (a window shorter than
90 days or a year, few events, all on one day, a fit at a bound of its
search) are left out of the block by the rules of
:mod:`riskmc.calibration.trust`; :attr:`Calibration.warnings` says what and
why, in the report and as ``# warning:`` comments at the top of the YAML.

**Negative binomial, read with care.** riskmc's ``negbin`` draws one rate
multiplier per replication and district for the whole horizon; the fit
measures month-to-month variation. Writing the monthly ``k`` as
``dispersion`` treats the level of a whole future horizon as varying as much
as one month's: on the wide side. The same process simulated by riskmc looks
Poisson within one replication, so this choice only arises for real data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from riskmc.calibration.errors import EventFileError
from riskmc.calibration.fits import (
    CampaignFit,
    ModelChoice,
    ModelFit,
    NegbinFit,
    choose_model,
    count_posterior,
    detect_campaigns,
    fit_negbin,
    fit_poisson,
    poisson_rates,
    rate_interval,
)
from riskmc.calibration.hawkes import (
    HawkesFit,
    SpilloverTest,
    fit_hawkes,
    spillover_test,
)
from riskmc.calibration.mapping import (
    Gazetteer,
    MappedEvents,
    map_districts,
    shipped_neighbours,
)
from riskmc.calibration.output import _branching, _lognormal, _num, write_atomic
from riskmc.calibration.readers import (
    EventTable,
    filter_events,
    plausible_window,
    read_events,
)
from riskmc.calibration.regimes import RegimeChoice, RegimeFit, fit_regimes
from riskmc.calibration.sample import EventSample
from riskmc.calibration.severity import FatalitiesFit, fit_fatalities
from riskmc.calibration.trust import Trust, assess, days_label, hawkes_problems, negbin_problems

__all__ = ["ATTACK_EVENT_TYPES", "TARGETS", "Calibration", "calibrate", "count_posterior"]

TARGETS = ("road", "rail", "site", "other")
#: Event types kept by default: ACLED's political-violence types (protests,
#: riots and strategic developments are not attacks; protests close roads
#: through ``hazard.closures.protests``). GTD holds attacks only.
ATTACK_EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "acled": ("Battles", "Explosions/Remote violence", "Violence against civilians"),
    "gtd": (),
}


@dataclass(frozen=True)
class Calibration:
    """Everything :func:`calibrate` found, and the scenario block it implies.

    Attributes
    ----------
    table : EventTable
        The events read and filtered, with the rows set aside.
    mapped : MappedEvents
        Events with district, method and target.
    window : tuple of date
        First and last day observed (inclusive).
    sample : EventSample
        Background (non-campaign) event times.
    campaigns : CampaignFit
    rates : DataFrame
        Per district: ``district``, ``events``, ``rate`` (``N / T``),
        ``shape``, ``scale`` (the written gamma), ``estimate``, ``low``,
        ``high`` (90 % interval of the written gamma, which holds
        ``estimate``) [1/yr]. ``estimate`` is ``N / T`` under Poisson and the
        written gamma's mean under a clustered model: there, after one or two
        events, the posterior of the long-run rate lies wholly above ``N / T``
        (a clustered district that was seen at all is likely busier than one
        quiet window shows).
    targets : DataFrame
        Per district: counts of each target class and the written shares.
    poisson : ModelFit
    negbin : NegbinFit
    hawkes : HawkesFit
        With spillover when :attr:`spillover` chose it.
    choice : ModelChoice
        Among the models :attr:`trust` allows.
    trust : Trust
        What may be written (:mod:`riskmc.calibration.trust`).
    """

    table: EventTable
    mapped: MappedEvents
    window: tuple[date, date]
    sample: EventSample
    campaigns: CampaignFit
    rates: pd.DataFrame
    targets: pd.DataFrame
    poisson: ModelFit
    negbin: NegbinFit
    hawkes: HawkesFit
    choice: ModelChoice
    trust: Trust
    #: Hawkes with spillover against without (None: no district has a neighbour);
    #: when its test rejects, :attr:`hawkes` is the fit with spillover.
    spillover: SpilloverTest | None = None
    #: Deaths per attack (None: fewer than 30 events with known fatalities, or none with any).
    fatalities: FatalitiesFit | None = None
    #: Regimes under Hawkes, one to three states by BIC (None: not Hawkes, or not fitted).
    regimes: RegimeChoice | None = None

    @property
    def process(self) -> str:
        """The chosen attack process."""
        return self.choice.chosen

    @property
    def warnings(self) -> tuple[str, ...]:
        """Why parts of the fit are not written, one line each (empty when all is)."""
        return self.trust.warnings

    # ------------------------------------------------------------------ block

    def block(self, extends: str | None = None) -> dict[str, Any]:
        """The ``districts`` and ``hazard`` mapping to merge into a scenario.

        Parameters
        ----------
        extends : str, optional
            Written as ``extends:`` first, which makes the block a whole
            scenario (that scenario with the calibrated hazard).

        Returns
        -------
        dict
            Empty when no rate can be trusted (:attr:`warnings`): not even
            ``extends``, so that the file cannot pass for a calibrated scenario.
        """
        if not self.trust.rates:
            return {}
        first, last = self.window
        src = Path(self.table.file).name
        districts = []
        shares = {str(r["district"]): r for r in self.targets.to_dict("records")}
        for row in self.rates.to_dict("records"):
            t = shares[str(row["district"])]
            districts.append(
                {
                    "name": str(row["district"]),
                    "attacks_per_year": {
                        "dist": "gamma",
                        "shape": _num(float(row["shape"])),
                        "scale": _num(float(row["scale"])),
                    },
                    "targets": {k: float(t[f"share_{k}"]) for k in TARGETS},
                    "source": (
                        f"riskmc calibrate: {int(row['events'])} {self.table.format.upper()} "
                        f"events in {src}, {first} to {last} ({self.process} fit)"
                    ),
                }
            )
        hazard: dict[str, Any] = {
            "process": self.process,
            "dispersion": None,
            "branching_ratio": None,
            "decay_days": None,
            "spillover": 0.0,
            "rate_multiplier": 1.0,
        }
        if self.process == "negbin":
            hazard["dispersion"] = _lognormal(self.negbin.dispersion, self.negbin.se_log_dispersion)
        if self.process == "hawkes":
            hk = self.hawkes
            # under regimes: their fit's triggering, with the plain fit's standard errors
            rg = self.regimes.fit if self.regimes is not None else None
            fit: RegimeFit | HawkesFit = rg if rg is not None and rg.n_states > 1 else hk
            n, tau, s = fit.branching_ratio, fit.decay_days, fit.spillover
            hazard["branching_ratio"] = _branching(n, n * (1.0 - n) * hk.se_logit_n)
            hazard["decay_days"] = _lognormal(tau, hk.se_log_tau)
            if hk.spillover > 0 and s > 1e-3:
                hazard["spillover"] = _branching(s, s * (1.0 - s) * hk.se_logit_s, high=1.0)
            if rg is not None:  # fitted: one state writes none over the base scenario's
                hazard["regimes"] = rg.block() if rg.n_states > 1 else None
        if self.fatalities is not None:
            hazard["fatalities"] = self.fatalities.block()
        if self.trust.campaigns:
            hazard["campaigns"] = self._campaign_block()
        doc: dict[str, Any] = {} if extends is None else {"extends": extends}
        doc["districts"] = districts
        doc["hazard"] = hazard
        return doc

    def _campaign_block(self) -> dict[str, Any]:
        c = self.campaigns
        years = c.years
        out: dict[str, Any] = {
            "rate_per_year": {
                "dist": "gamma",
                "shape": _num(c.count + 0.5),
                "scale": _num(1.0 / years),
            }
        }
        if c.count == 0:
            return out
        days = c.campaigns["days"].to_numpy()
        lo, hi = float(days.min()), float(days.max())
        out["duration_days"] = lo if lo == hi else {"dist": "uniform", "low": lo, "high": hi}
        joins = int(c.campaigns["districts"].sum())
        attacks = int(c.campaigns["attacks"].sum())
        out["attacks_per_district"] = {
            "dist": "gamma",
            "shape": _num(attacks + 0.5),
            "scale": _num(1.0 / joins),
        }
        pooled = joins / (c.count * c.n_districts)
        join: dict[str, Any] = {"default": _num(pooled)}
        for name in self.sample.districts:
            j = c.join_counts.get(name, 0)
            join[name] = {"dist": "beta", "a": j + 0.5, "b": _num(c.count - j + 0.5)}
        out["join_probability"] = join
        return out

    def to_yaml(self, extends: str | None = None) -> str:
        """:meth:`block` as YAML text, with a header saying where it came from."""
        first, last = self.window
        head = [
            "# Calibrated by `riskmc calibrate` from "
            f"{Path(self.table.file).name} ({self.table.format.upper()}), {first} to {last}.",
            f"# Attack process chosen: {self.process} (see the fit report). Merge it into a "
            "scenario with `extends:`.",
            "# Parameter uncertainty is written as distributions (docs/calibration.md).",
        ]
        head.extend(f"# warning: {w}" for w in self.warnings)
        block = self.block(extends)
        if not block:
            head[1:3] = ["# No parameters written: no fit can be trusted (see the warning)."]
            return "\n".join(head) + "\n"
        if not self.trust.campaigns:
            head.append("# hazard.campaigns is not written: the base scenario's campaigns stand.")
        body = yaml.safe_dump(block, sort_keys=False, default_flow_style=None, width=100)
        return "\n".join(head) + "\n" + body

    def write(self, path: str | Path, extends: str | None = None) -> Path:
        """Write :meth:`to_yaml` to ``path`` all at once (a temporary file, then a rename).

        Raises
        ------
        OSError
            When the file cannot be written; ``path`` is then as it was, and
            no temporary file is left (:func:`~riskmc.calibration.output.write_atomic`).
        """
        return write_atomic(path, self.to_yaml(extends))

    # ------------------------------------------------------------------ report

    def report(self) -> str:
        """A plain-text fit report: data used and set aside, fits, choice, rates."""
        t = self.table
        first, last = self.window
        lines = [
            f"Calibration from {t.file} ({t.format.upper()}, read as {t.encoding})",
            f"Window: {first} to {last} ({days_label(int(self.sample.horizon_days))}, "
            f"{self.sample.years:.2f} years)",
            f"Events used: {len(self.mapped.mapped)} "
            f"(of {len(t.events) + len(t.excluded)} rows read)",
        ]
        lines.extend(f"warning: {w}" for w in self.warnings)
        for reason, n in t.exclusion_counts().items():
            lines.append(f"  set aside: {n} rows, {reason}")
        un = self.mapped.unmapped
        if len(un):
            lines.append(f"  not mapped to a district: {len(un)} events")
            for why, g in un.groupby("reason", sort=True):
                rows = ", ".join(str(r) for r in g["row"].head(8))
                more = " ..." if len(g) > 8 else ""
                lines.append(f"    {len(g)} x {why!s} (rows {rows}{more})")
        coords = self.mapped.by_coordinates()
        if len(coords):
            lines.append("  placed by coordinates (nearest district centroid):")
            for rc in coords.to_dict("records"):
                label = rc["name"] or "(no name)"
                lines.append(
                    f"    {label} -> {rc['district']}: {rc['events']} events, "
                    f"up to {rc['max_km']:.0f} km"
                )
        c = self.campaigns
        lines.append(
            f"Campaign days: days with >= {c.threshold} districts hit "
            f"({c.expected_by_chance:.3f} expected by chance); {c.count} campaigns, "
            f"{int(c.campaign_event.sum())} attacks set apart from the background"
        )
        lines.extend(
            f"  {cp['start']} to {cp['end']}: {cp['districts']} districts, "
            f"{cp['attacks']} attacks ({cp['names']})"
            for cp in c.campaigns.to_dict("records")
        )
        lines.append("Models (background attacks; times in days, ties spread within the day):")
        tab = self.choice.table()
        lr = {str(x["model"]): x for x in self.choice.lr_tests.to_dict("records")}
        for rm in tab.to_dict("records"):
            test = ""
            if rm["model"] in lr:
                x = lr[str(rm["model"])]
                test = f"  LR vs poisson {x['lr']:.1f}, p = {x['p_value']:.2g}"
            mark = "  <- chosen" if rm["chosen"] else ""
            lines.append(
                f"  {rm['model']:8s} logL {rm['loglik']:12.2f}  params {rm['params']:3d}  "
                f"AIC {rm['aic']:12.2f}  dAIC {rm['delta_aic']:8.2f}{test}{mark}"
            )
        nb, hk = self.negbin, self.hawkes
        lines.append(
            f"  negbin: dispersion k = {nb.dispersion:.3g} "
            f"(se of log k {nb.se_log_dispersion:.2g}; monthly counts)"
        )
        hk_problems = hawkes_problems(hk, self.sample.horizon_days)
        nb_problems = negbin_problems(nb)
        if nb_problems:
            lines[-1] += f" ({'; '.join(nb_problems)})"
        lines.append(
            f"  hawkes: branching ratio n = {hk.branching_ratio:.3f} +/- "
            f"{hk.se_branching_ratio:.3f}, decay = {hk.decay_days:.2f} +/- "
            f"{hk.se_decay_days:.2f} days" + (f" ({'; '.join(hk_problems)})" if hk_problems else "")
        )
        sp = self.spillover
        if sp is not None:
            verdict = "written" if sp.chosen else "not written (spillover 0)"
            lines.append(
                f"    spillover to adjacent districts s = {sp.fit.spillover:.3f} +/- "
                f"{sp.fit.se_spillover:.3f} (n {sp.fit.branching_ratio:.3f} with it); against "
                f"none: LR {sp.statistic:.1f}, p {sp.p_value:.2g}: {verdict}"
            )
        if self.regimes is not None:
            lines.extend(self.regimes.report())
        if self.fatalities is not None:
            lines.append(self.fatalities.report())
        lines.append(
            f"Model choice: {self.process} (a richer model must beat poisson by a likelihood-"
            f"ratio test at {self.choice.alpha:g}, then the lowest AIC wins)"
        )
        if self.trust.rates:
            lines.append(
                "Attacks per year by district (background, 90 % interval of what is written):"
            )
        else:
            lines.append("Attacks per year by district (background, 90 % interval; NOT written):")
        tg = {str(r["district"]): r for r in self.targets.to_dict("records")}
        for rr in self.rates.to_dict("records"):
            sh = tg[str(rr["district"])]
            mix = " ".join(f"{k} {sh[f'share_{k}']:.2f}" for k in TARGETS)
            lines.append(
                f"  {rr['district']:16s} {int(rr['events']):5d} events  {rr['estimate']:7.2f} "
                f"[{rr['low']:6.2f}, {rr['high']:6.2f}]  targets: {mix}"
            )
        return "\n".join(lines)


def _target_shares(mapped: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Counts of each target class per district and the shares written.

    Shares are the posterior means under a Jeffreys Dirichlet(1/2, ..., 1/2)
    prior, ``(n_c + 1/2) / (N + 2)``, rounded to 3 decimals with ``other``
    taking the rounding, so they sum to exactly 1.
    """
    counts = (
        pd.crosstab(mapped["district"], mapped["target"])
        .reindex(index=list(names), columns=list(TARGETS), fill_value=0)
        .fillna(0)
        .astype(np.int64)
    )
    total = counts.sum(axis=1).to_numpy()[:, None]
    shares = np.round((counts.to_numpy() + 0.5) / (total + 2.0), 3)
    shares[:, 3] = np.round(1.0 - shares[:, :3].sum(axis=1), 3)
    frame = counts.reset_index().rename(columns={"index": "district"})
    frame.columns = ["district", *TARGETS]
    for j, k in enumerate(TARGETS):
        frame[f"share_{k}"] = shares[:, j]
    return frame


def calibrate(
    path: str | Path,
    format: Literal["acled", "gtd"] = "acled",
    *,
    region: str | Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    event_types: Sequence[str] | None = None,
    sub_event_types: Sequence[str] | None = None,
    actors: Sequence[str] | None = None,
    gazetteer: Gazetteer | None = None,
    map_by: Literal["auto", "name", "coordinates"] = "auto",
    max_km: float = 150.0,
    aliases: Mapping[str, str | None] | None = None,
    campaign_districts: int | None = None,
    alpha: float = 0.01,
    neighbours: Sequence[Sequence[int]] | None = None,
    max_states: int = 3,
) -> Calibration:
    """Fit riskmc's hazard to an ACLED or GTD export.

    Parameters
    ----------
    path : str or Path
        The export (CSV).
    format : {'acled', 'gtd'}
    region, start, end, sub_event_types, actors
        Filters (:func:`~riskmc.calibration.filter_events`). ``start`` and
        ``end`` also fix the observation window; without them it runs from
        the first to the last event kept.
    event_types : sequence of str, optional
        Event types kept; by default :data:`ATTACK_EVENT_TYPES` of the
        format. An empty sequence keeps every type.
    gazetteer : Gazetteer, optional
        The districts to map to; default the shipped Balochistan districts.
    map_by, max_km, aliases
        District mapping (:func:`~riskmc.calibration.map_districts`).
    campaign_districts : int, optional
        Fewest districts hit on a day for a campaign day; default chosen from
        the rates (:func:`~riskmc.calibration.detect_campaigns`).
    alpha : float
        Level of the likelihood-ratio tests of the model choice (and of
        Hawkes spillover against none).
    neighbours : sequence of sequence of int, optional
        Each district's adjacent districts (indices into the gazetteer's
        names), where Hawkes spillover may land; default
        :func:`shipped_neighbours`.
    max_states : int
        Most regimes fitted under Hawkes (:func:`~riskmc.calibration.regimes.fit_regimes`;
        1: none).

    Returns
    -------
    Calibration

    Raises
    ------
    EventFileError
        For a file that cannot be read, or one with no usable event.
    ValueError
        For ``start`` after ``end``, or either outside
        :func:`~riskmc.calibration.readers.plausible_window`.
    """
    _check_window(start, end)
    table = read_events(path, format)
    types = ATTACK_EVENT_TYPES[format] if event_types is None else tuple(event_types)
    table = filter_events(
        table,
        region=region,
        start=start,
        end=end,
        event_types=types or None,
        sub_event_types=sub_event_types,
        actors=actors,
    )
    if table.events.empty:
        raise EventFileError(path, "no events left after the filters (see the options)")
    gaz = gazetteer if gazetteer is not None else Gazetteer.balochistan()
    mapped = map_districts(table.events, gaz, by=map_by, max_km=max_km, aliases=aliases)
    used = mapped.mapped
    if used.empty:
        reason = mapped.unmapped["reason"].iloc[0]
        raise EventFileError(
            path, f"no event could be placed in a district (first reason: {reason})"
        )
    first, last = table.observed_window()
    horizon = (last - first).days + 1
    index = {name: i for i, name in enumerate(gaz.names)}
    district = used["district"].map(index).to_numpy(dtype=np.int64)
    day = (used["date"] - pd.Timestamp(first)).dt.days.to_numpy(dtype=np.int64)
    campaigns = detect_campaigns(
        district, day, gaz.names, first, horizon, threshold=campaign_districts
    )
    keep = ~campaigns.campaign_event
    sample = EventSample.from_days(gaz.names, district[keep], day[keep], first, horizon)
    poisson = fit_poisson(sample)
    negbin = fit_negbin(sample)
    hawkes = fit_hawkes(sample)
    links = neighbours if neighbours is not None else shipped_neighbours(gaz.names)
    spill = spillover_test(sample, [list(x) for x in links], hawkes, alpha=alpha)
    if spill is not None and spill.chosen:
        hawkes = spill.fit
    fits = {
        "poisson": poisson,
        "negbin": negbin.model,
        "hawkes": ModelFit("hawkes", hawkes.loglik, hawkes.n_params),
    }
    trust = assess(horizon, sample, negbin, hawkes, choose_model(fits, alpha=alpha))
    choice = choose_model(fits, alpha=alpha, allowed=trust.models)
    regimes = None
    if choice.chosen == "hawkes" and max_states > 1:
        spilled = [list(x) for x in links] if hawkes.spillover > 0 else None
        regimes = fit_regimes(sample, hawkes, spilled, max_states=max_states)
    rates = poisson_rates(sample)
    if choice.chosen == "hawkes":
        ratio = np.full(len(rates), 1.0 / (1.0 - hawkes.branching_ratio) ** 2)
    elif choice.chosen == "negbin":
        months = sample.monthly_counts()[0].shape[1]
        ratio = 1.0 + (sample.counts / months) / negbin.dispersion
    else:
        ratio = np.ones(len(rates))
    for i, (n_d, v) in enumerate(zip(sample.counts, ratio, strict=True)):
        rates.loc[i, ["shape", "scale"]] = count_posterior(int(n_d), float(v), sample.years)
    clustered = choice.chosen != "poisson"
    rates["estimate"] = rates["shape"] * rates["scale"] if clustered else rates["rate"]
    rates["low"], rates["high"] = rate_interval(
        sample.counts, rates["shape"].to_numpy(), rates["scale"].to_numpy()
    )
    return Calibration(
        table=table,
        mapped=mapped,
        window=(first, last),
        sample=sample,
        campaigns=campaigns,
        rates=rates,
        targets=_target_shares(used, gaz.names),
        poisson=poisson,
        negbin=negbin,
        hawkes=hawkes,
        choice=choice,
        trust=trust,
        spillover=spill,
        fatalities=fit_fatalities(used["fatalities"].to_numpy(dtype=np.float64)),
        regimes=regimes,
    )


def _check_window(start: date | None, end: date | None) -> None:
    """Refuse a window given by ``start`` and ``end`` that cannot have been observed."""
    first, last = plausible_window()
    if start is not None and start < first:
        raise ValueError(f"start: {start} is before {first}, the start of GTD")
    if end is not None and end > last:
        raise ValueError(
            f"end: {end} is after {last} (tomorrow): the window would count days not yet observed"
        )
    if start is not None and end is not None and start > end:
        raise ValueError(f"start: {start} is after end {end}")
