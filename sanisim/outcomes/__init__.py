"""Deprecated path of :mod:`sanisim.analysis.outcomes`, kept for one release.

Importing it warns (DeprecationWarning) and re-exports every name of the moved module, private
ones included: the same objects.
"""

import warnings

from sanisim.analysis import outcomes as _moved

warnings.warn("sanisim.outcomes moved to sanisim.analysis.outcomes; "
              "the old path goes in the next release", DeprecationWarning, stacklevel=2)
globals().update({name: value for name, value in vars(_moved).items()
                  if not name.startswith("__")})
