"""`python -m symspline.cli`."""

import sys

from . import main

sys.exit(main())
