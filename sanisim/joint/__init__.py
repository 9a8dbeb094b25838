"""Deprecated path of :mod:`sanisim.evidence.joint`, kept for one release.

Importing it warns (DeprecationWarning) and gives the moved module itself, so every name,
private ones included, is the same object.
"""

import sys
import warnings

from sanisim.evidence import joint as _moved

warnings.warn("sanisim.joint moved to sanisim.evidence.joint; "
              "the old path goes in the next release", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
