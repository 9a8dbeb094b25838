"""Make the posterior median the model's default behaviour.

Writes the weighted median of every registry parameter of the shipped posterior
(``sanisim/data/posterior.csv``, from ``sanisim joint experiments/joint_calibration.toml``) as
that parameter's default in ``sanisim/parameters.py`` (rounded to 3 significant digits; whole
numbers for integer parameters), then regenerates ``scenarios/default.toml`` and the parameter
table of ``docs/model.md``. Every district preset extends ``default.toml``, so they all take
the calibrated behaviour; experiments with ``posterior = N`` run the draws themselves.
Strategy parameters of a setting (``strategies.NAME.KEY``) stay in the posterior only.
``tests/test_joint_fit.py`` fails when the defaults and the posterior disagree::

    python tools/apply_posterior.py
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sanisim.parameters import BY_KEY  # noqa: E402
from sanisim.runs import posterior  # noqa: E402


def rounded(key: str, value: float):
    """The value written as the default: 3 significant digits, or a whole number."""
    if BY_KEY[key].kind is int:
        return int(round(value))
    return float(f"{value:.3g}")


def calibrated_defaults(path: Path | None = None) -> dict[str, float]:
    """Registry key -> rounded posterior median (strategy keys left out)."""
    median = posterior.load(path).median_point()
    return {key: rounded(key, value) for key, value in median.items() if key in BY_KEY}


def main() -> None:
    source = ROOT / "sanisim" / "parameters.py"
    text = source.read_text()
    for key, value in calibrated_defaults().items():
        pattern = re.compile(r'(_p\("' + re.escape(key) + r'",\s*)([^,]+)(,)')
        text, count = pattern.subn(lambda m, v=value: f"{m.group(1)}{v!r}{m.group(3)}", text)
        if count != 1:
            raise SystemExit(f"{key}: found {count} records in {source}")
        print(f"{key} = {value!r}")
    source.write_text(text)
    python = sys.executable
    subprocess.run([python, "-m", "sanisim.scenario"], check=True, cwd=ROOT)
    subprocess.run([python, "tools/update_docs.py"], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
