"""How long the pages' Markdown (openevent.templatetags.text.markdown) takes for the costliest
texts a speaker or submitter may write, at the longest a field takes (10,000 characters).

    .venv/bin/python bench/markdown_text.py [--length 10000]

Each text repeats one pattern that has made Markdown parsers take time growing with the square
of its length (a run of brackets held a speaker page for 18 s with Python-Markdown). Prints the
milliseconds for the text at half and at full length: a parser that takes time in proportion to
the text shows a ratio near 2, a quadratic one near 4. Every page renders a text on each view.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import django

PATTERNS = ["[", "![", "[a](", "*a", "**a ", "_a_", "<a ", "`a", "&#", "- a\n", "> [\n", "[\n]", "- > - > ["]


def milliseconds(render, text: str) -> float:
    started = time.perf_counter()
    render(text)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=10_000, help="characters of the full text")
    arguments = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openevent.settings")
    django.setup()
    from openevent.templatetags.text import markdown

    print(f"{'pattern':<12} {'half ms':>9} {'full ms':>9} {'ratio':>6}")
    worst = 0.0
    for pattern in PATTERNS:
        full = pattern * (arguments.length // len(pattern))
        half_ms, full_ms = milliseconds(markdown, full[: len(full) // 2]), milliseconds(markdown, full)
        worst = max(worst, full_ms)
        print(f"{pattern!r:<12} {half_ms:9.1f} {full_ms:9.1f} {full_ms / max(half_ms, 0.001):6.1f}")
    print(f"slowest text of {arguments.length} characters: {worst:.0f} ms")


if __name__ == "__main__":
    main()
