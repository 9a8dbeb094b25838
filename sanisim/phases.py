"""The monthly step order: the contract between the model and the strategies.

:class:`sanisim.model.SanitationModel` runs each phase as its method ``_<phase>``; after each
phase every active strategy that defines ``on_<phase>(model)`` gets that hook. A strategy
method ``on_<name>`` whose name is not a phase would never be called, so it is an error when
the strategy class is defined (:func:`check_hooks`). :class:`Plan` is the printable month:
the phases in order with the strategies acting in each (``model.plan()``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: The monthly step, in order. Each name is a method ``_<name>`` of the model.
STEP_ORDER: tuple[str, ...] = (
    "income",        # savings accrue and are drawn down; income shocks halve some savings
    "decay",         # factor gains from visits and campaigns relax toward baseline
    "programmes",    # strategies act (triggering, media, grants, ...) via on_programmes
    "sanitarians",   # sanitarians visit households below basic; visits raise factors
    "decide",        # decision hazard (Bass + factors) turns into an intention to build
    "finance",       # intentions paid from savings, or a loan application, or a cheaper step
    "cooperatives",  # instalments collected, arrears, write-offs; applications approved
    "construction",  # building progresses; finished facilities raise the rung
    "desludging",    # septic tanks emptied -> safely managed; lapsed emptying -> basic
    "failure",       # facilities fail (or are repaired at once); households slip down
    "use",           # sharing fees and lost access, abandonment, households stop/resume use
    "waste",         # the solid-waste ladder (mechanisms.solid_waste): decisions, lapses
    "communities",   # ODF status of each RT (no household at open defecation)
    "record",        # monthly outputs
)

HOOK_PREFIX = "on_"


def hooks_of(cls: type) -> tuple[str, ...]:
    """The phases a class has hooks for (its callable ``on_<name>`` attributes), in step
    order; unknown names last."""
    names = {name[len(HOOK_PREFIX):] for name in dir(cls)
             if name.startswith(HOOK_PREFIX) and callable(getattr(cls, name, None))}
    known = tuple(p for p in STEP_ORDER if p in names)
    return known + tuple(sorted(names - set(STEP_ORDER)))


def check_hooks(cls: type) -> None:
    """Raise :class:`TypeError` if ``cls`` has an ``on_<name>`` method for no phase."""
    unknown = [name for name in hooks_of(cls) if name not in STEP_ORDER]
    if not unknown:
        return
    name = unknown[0]
    near = difflib.get_close_matches(name, STEP_ORDER, n=1, cutoff=0.6)
    hint = f"; did you mean {HOOK_PREFIX}{near[0]}?" if near else ""
    raise TypeError(f"strategy class {cls.__qualname__}: method {HOOK_PREFIX}{name} is not the "
                    f"hook of a phase, so it would never be called{hint} (phases: "
                    f"{', '.join(STEP_ORDER)})")


@dataclass(frozen=True)
class Plan:
    """The phases of a month in order, each with the strategies whose hook runs after it.

    ``steps`` holds ``(phase, (strategy, ...))`` pairs; ``windows`` the months each strategy
    is active (``start``, ``end``). ``str(plan)`` prints one numbered line per phase.
    """

    steps: tuple[tuple[str, tuple[str, ...]], ...]
    windows: dict[str, tuple[int, int]]
    title: str = "monthly plan"

    def acting(self, phase: str) -> tuple[str, ...]:
        """The strategies with a hook on ``phase``."""
        return dict(self.steps)[phase]

    def __str__(self) -> str:
        width = max(len(phase) for phase, _ in self.steps)
        lines = [f"{self.title}:"]
        for number, (phase, names) in enumerate(self.steps, start=1):
            acting = ", ".join(f"{n} (months {self.windows[n][0]}-{self.windows[n][1]})"
                               for n in names)
            lines.append(f"{number:>3}. {phase:<{width}}  <- {acting}" if acting
                         else f"{number:>3}. {phase}")
        return "\n".join(lines)


def plan_of(strategies: Iterable[Any], title: str = "monthly plan") -> Plan:
    """The :class:`Plan` of a month with ``strategies`` (in bundle order)."""
    strategies = list(strategies)
    steps = tuple((phase, tuple(s.name for s in strategies  # as the model's step finds them
                                if getattr(s, HOOK_PREFIX + phase, None) is not None))
                  for phase in STEP_ORDER)
    return Plan(steps, {s.name: (s.start, s.end) for s in strategies}, title)
