"""`python -m sinch_notebook.cli`: the same as the `sinch-notebook` command."""

import sys

from .commands import main

sys.exit(main())
