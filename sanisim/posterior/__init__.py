"""Deprecated path of :mod:`sanisim.runs.posterior`, kept for one release.

Importing it warns (DeprecationWarning) and gives the moved module itself, so every name,
private ones included, is the same object.
"""

import sys
import warnings

from sanisim.runs import posterior as _moved

warnings.warn("sanisim.posterior moved to sanisim.runs.posterior; "
              "the old path goes in the next release", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
