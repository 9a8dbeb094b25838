"""``python -m sanisim.outcomes``, the old command: ``python -m sanisim.analysis.outcomes``."""

import sys

from sanisim.analysis.outcomes import main

sys.exit(main())
