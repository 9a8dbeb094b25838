"""sanisim: agent-based simulation of sanitation adoption in Indonesian communities.

Import stays light: the model, runner and analysis load on first use.
"""

from __future__ import annotations

# ``run_scenario`` (not ``run``): ``sanisim.run`` is the module of that name once imported.
__all__ = ["SanitationModel", "load_results", "load_scenario", "run_scenario", "__version__"]


def __getattr__(name: str):
    if name == "__version__":  # the installed distribution's (pyproject.toml), read on use
        from sanisim.provenance import package_version

        return package_version()
    if name == "SanitationModel":
        from sanisim.model import SanitationModel

        return SanitationModel
    if name == "load_scenario":
        from sanisim.scenario import load

        return load
    if name == "run_scenario":
        from sanisim.runs.run import run

        return run
    if name == "load_results":
        from sanisim.runs.store import load_results

        return load_results
    raise AttributeError(f"module 'sanisim' has no attribute {name!r}")
