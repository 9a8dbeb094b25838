"""Deprecated: the figures moved to :mod:`sanisim.report.plots` (this alias goes in the next
release)."""

import warnings

from sanisim.report.plots import *  # noqa: F403

warnings.warn("sanisim.plots moved to sanisim.report.plots; import it from there",
              DeprecationWarning, stacklevel=2)
