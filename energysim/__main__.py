"""``python -m energysim``: the command line (:mod:`energysim.cli`)."""

import sys

from energysim.cli import main

sys.exit(main())
