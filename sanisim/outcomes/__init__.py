"""Deprecated path of :mod:`sanisim.analysis.outcomes`, kept for one release.

Importing it warns (DeprecationWarning) and gives the moved module itself, so every name,
private ones included, is the same object.
"""

import sys
import warnings

from sanisim.analysis import outcomes as _moved

warnings.warn("sanisim.outcomes moved to sanisim.analysis.outcomes; "
              "the old path goes in the next release", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
