"""`python -m onrecord` runs the command line."""

import sys

from onrecord.cli import main

sys.exit(main())
