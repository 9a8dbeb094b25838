"""Deprecated path of :mod:`sanisim.evidence.trial`, kept for one release.

Importing it warns (DeprecationWarning) and gives the moved module itself, so every name,
private ones included, is the same object.
"""

import sys
import warnings

from sanisim.evidence import trial as _moved

warnings.warn("sanisim.trial moved to sanisim.evidence.trial; "
              "the old path goes in the next release", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _moved
