"""Switches of the behaviour mechanisms, and the model without them.

Each mechanism of the decision, purchase, sharing and use of a toilet has a switch
``mechanisms.<name>`` in the parameter registry (true by default). Switched off, a mechanism
draws nothing and changes nothing, so with every switch off the model is, draw for draw, the
model before the mechanisms existed (``tests/test_mechanisms.py`` checks this against a stored
baseline). The contribution of one mechanism is measured by switching it off alone.

============================ ===============================================================
switch                       module
============================ ===============================================================
``community``                :mod:`sanisim.community` (plans, sanction, tipping, backfire)
``willingness_to_pay``       :mod:`sanisim.purchase` (price against willingness to pay)
``point_of_sale``            :mod:`sanisim.purchase` (decide on the spot when offered)
``saving``                   :mod:`sanisim.purchase` (save for the toilet, or fall back)
``sharing``                  :mod:`sanisim.purchase` (hosts with room, a fee)
``sharer_own``               :mod:`sanisim.community` (sharers dig their own under a plan)
``use``                      :mod:`sanisim.facilities` (owning is not using)
``repair``                   :mod:`sanisim.facilities` (repair at once, or abandon)
``technology``               :mod:`sanisim.purchase` (a septic toilet or a cheaper pit toilet)
============================ ===============================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from sanisim.scenario import Scenario

MECHANISMS: tuple[str, ...] = (
    "community", "willingness_to_pay", "point_of_sale", "saving", "sharing", "sharer_own",
    "use", "repair", "technology",
)


def key(name: str) -> str:
    """The parameter key of a mechanism's switch."""
    if name not in MECHANISMS:
        raise KeyError(f"unknown mechanism {name!r} (known: {', '.join(MECHANISMS)})")
    return f"mechanisms.{name}"


def without(scenario: Scenario, *names: str) -> Scenario:
    """The scenario with the named mechanisms switched off."""
    return scenario.with_params({key(n): False for n in names})


def all_off(scenario: Scenario) -> Scenario:
    """The scenario with every mechanism switched off (the model before them)."""
    return without(scenario, *MECHANISMS)
