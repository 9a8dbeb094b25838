"""Deprecated path of :mod:`sanisim.runs.run`, kept for one release.

Importing it warns (DeprecationWarning) and gives the moved module itself, so every name,
private ones included, is the same object.
"""

import sys
import warnings

from sanisim.runs import run as _moved

warnings.warn("sanisim.run moved to sanisim.runs.run; "
              "the old path goes in the next release", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
