"""Deprecated path of :mod:`sanisim.evidence.calibration`, kept for one release.

Importing it warns (DeprecationWarning) and gives the moved module itself, so every name,
private ones included, is the same object.
"""

import sys
import warnings

from sanisim.evidence import calibration as _moved

warnings.warn("sanisim.calibration moved to sanisim.evidence.calibration; "
              "the old path goes in the next release", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
