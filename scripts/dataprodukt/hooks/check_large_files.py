"""No large files in the repository: data belongs in the warehouse or the bucket, not in git."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_MAX_KB = 500


def too_large(paths: Sequence[Path], max_kb: int) -> list[tuple[Path, int]]:
    """The files over ``max_kb`` kilobytes, with their size in kilobytes."""
    sizes = [(path, path.stat().st_size) for path in paths if path.is_file()]
    return [(path, (size + 1023) // 1024) for path, size in sizes if size > max_kb * 1024]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="check-large-files", description=__doc__)
    parser.add_argument("--max-kb", type=int, default=DEFAULT_MAX_KB, help=f"default {DEFAULT_MAX_KB}")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    found = too_large(args.files, args.max_kb)
    for path, size in found:
        print(
            f"{path}: {size} KB is over the {args.max_kb} KB limit: keep data in the warehouse or storage "
            "(seeds are for small code lists), or generate it in build/"
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
