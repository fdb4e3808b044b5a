"""``python -m ecologits_like``: the ``ecologits-like`` command."""

import sys

from ecologits_like.cli import main

if __name__ == "__main__":
    sys.exit(main())
