"""Deprecated path of :mod:`sanisim.runs.results`, kept for one release.

Importing it warns (DeprecationWarning) and gives the moved module itself, so every name,
private ones included, is the same object.
"""

import sys
import warnings

from sanisim.runs import results as _moved

warnings.warn("sanisim.results moved to sanisim.runs.results; "
              "the old path goes in the next release", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
