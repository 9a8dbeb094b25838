"""Strategies: programmes that act on agents, registered by type name (see :mod:`.base`)."""

# Strategy types register themselves on import (one module per strategy).
from sanisim.strategies import (  # noqa: F401
    bcc,
    communal,
    demand_creation,
    desludging,
    microcredit,
    recycling_centre,
    subsidy,
    supply,
    voucher,
    waste_bank,
    waste_collection,
)
from sanisim.strategies.base import (
    COMMON_PARAMS,
    STRATEGY_TYPES,
    Strategy,
    build_bundle,
    check_requirements,
    parse_strategy_tables,
    register,
    scaled_configs,
)

__all__ = [
    "COMMON_PARAMS",
    "STRATEGY_TYPES",
    "Strategy",
    "build_bundle",
    "check_requirements",
    "parse_strategy_tables",
    "register",
    "scaled_configs",
]
