"""`python -m daemon` runs the `pantau` command."""

import sys

from daemon.operator.cli import main

if __name__ == "__main__":
    sys.exit(main())
