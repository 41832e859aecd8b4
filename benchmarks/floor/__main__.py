"""`python benchmarks/floor ...` (or `python -m floor` with benchmarks/ on the path): see floor/__init__.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from floor.cli import main

sys.exit(main())
