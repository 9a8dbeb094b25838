"""Deprecated path of :mod:`sanisim.evidence.calibration`, kept for one release.

Importing it warns (DeprecationWarning) and re-exports every name of the moved module, private
ones included: the same objects.
"""

import warnings

from sanisim.evidence import calibration as _moved

warnings.warn("sanisim.calibration moved to sanisim.evidence.calibration; "
              "the old path goes in the next release", DeprecationWarning, stacklevel=2)
globals().update({name: value for name, value in vars(_moved).items()
                  if not name.startswith("__")})
