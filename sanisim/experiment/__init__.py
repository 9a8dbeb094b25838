"""Deprecated path of :mod:`sanisim.runs.experiment`, kept for one release.

Importing it warns (DeprecationWarning) and gives the moved module itself, so every name,
private ones included, is the same object.
"""

import sys
import warnings

from sanisim.runs import experiment as _moved

warnings.warn("sanisim.experiment moved to sanisim.runs.experiment; "
              "the old path goes in the next release", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
