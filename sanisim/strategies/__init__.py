"""Strategies: programmes that act on agents, registered by type name (see :mod:`.base`)."""

from sanisim.strategies.base import (
    COMMON_PARAMS,
    STRATEGY_TYPES,
    Strategy,
    build_bundle,
    parse_strategy_tables,
    register,
)

__all__ = [
    "COMMON_PARAMS",
    "STRATEGY_TYPES",
    "Strategy",
    "build_bundle",
    "parse_strategy_tables",
    "register",
]
