"""Deprecated path of :mod:`sanisim.runs.batch`, kept for one release.

Importing it warns (DeprecationWarning) and gives the moved module itself, so every name,
private ones included, is the same object.
"""

import sys
import warnings

from sanisim.runs import batch as _moved

warnings.warn("sanisim.batch moved to sanisim.runs.batch; "
              "the old path goes in the next release", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
