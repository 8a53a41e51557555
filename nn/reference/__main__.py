"""``python -m nn.reference [document] [--seed N]``: print the gradient tables."""

import argparse
import sys

from .compare import demo


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nn.reference", description=__doc__)
    parser.add_argument(
        "document",
        nargs="?",
        default="all",
        choices=["all", "rust_series", "course_lesson", "numpy_derivation", "book_chapter"],
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    results = demo(args.document, args.seed)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
