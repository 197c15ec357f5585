"""`python -m api.cli` runs the `rag` command."""

import sys

from . import main

sys.exit(main())
