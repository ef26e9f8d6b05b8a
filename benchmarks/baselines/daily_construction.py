"""A plain day-by-day SimPy model of the tiny project's construction, as a user would write it.

It is the baseline the event-driven model is compared with: one process wakes every day,
checks whether the road is open, sends convoys to top the stock up, and consumes a day of
material if there is any. Convoys are processes that take the travel time rounded up to whole
days. Same rules as riskmc's model, coarser clock.
"""

from __future__ import annotations

import math

import simpy


def daily_construction(
    planned_days: float,
    material_t: float,
    buffer_days: float,
    convoy_t: float,
    travel_days: float,
    closed: list[tuple[float, float]],
) -> tuple[float, int]:
    """Return (finish day, SimPy events processed)."""
    env = simpy.Environment()
    need = material_t / planned_days
    level = buffer_days * need + need * travel_days
    state = {"stock": buffer_days * need, "pipeline": 0.0, "progress": 0.0, "finish": math.nan}

    def road_open(day: float) -> bool:
        return not any(s <= day < e for s, e in closed)

    def convoy(env: simpy.Environment) -> simpy.events.ProcessGenerator:
        yield env.timeout(math.ceil(travel_days))
        state["stock"] += convoy_t
        state["pipeline"] -= convoy_t

    def site(env: simpy.Environment) -> simpy.events.ProcessGenerator:
        while state["progress"] < planned_days - 1e-9:
            if road_open(env.now):
                while state["stock"] + state["pipeline"] + convoy_t <= level:
                    state["pipeline"] += convoy_t
                    env.process(convoy(env))
            if state["stock"] >= need:
                state["stock"] -= need
                state["progress"] += 1
            yield env.timeout(1)
        state["finish"] = env.now

    env.process(site(env))
    steps = 0
    while math.isnan(state["finish"]):
        env.step()
        steps += 1
    return state["finish"], steps
