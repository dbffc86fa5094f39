"""The live Markdown view, fed in random pieces: its final screen equals rendering the whole
answer once (read through pyte, a terminal emulator), and only one footer is left."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pyte
import pytest
from rich.console import Console
from rich.text import Text

from goshi.ui.mdsafe import parser, shown_links
from goshi.ui.mdstream import MarkdownStream, Parsed

ROOT = Path(__file__).resolve().parent.parent
DOCS = [
    ROOT / "tests" / "data" / "answer.md",
    ROOT / "tests" / "data" / "manual.md",  # a user manual: the README frozen in part
    ROOT / "tests" / "data" / "edges.md",
]


def screen(data: str, width: int) -> str:
    scr = pyte.Screen(width, 3000)
    pyte.Stream(scr).feed(data.replace("\n", "\r\n"))
    return "\n".join(line.rstrip() for line in scr.display).rstrip("\n")


def console(width: int) -> Console:
    return Console(
        file=io.StringIO(), width=width, height=40, force_terminal=True, color_system="truecolor"
    )


CASES = [(DOCS[0], w, seed) for w in (50, 80, 120) for seed in (1, 2)] + [
    (DOCS[1], 80, 1),
    *((DOCS[2], w, seed) for w in (40, 100) for seed in (1, 2, 3)),
]


@pytest.mark.parametrize(("doc", "width", "seed"), CASES, ids=str)
def test_final_screen_equals_one_whole_render(doc: Path, width: int, seed: int) -> None:
    text = doc.read_text()
    whole = console(width)  # goshi's Markdown (links show their targets), rendered at once
    whole.print(Parsed.of(shown_links(parser().parse(text)), "monokai"))
    live = console(width)
    stream = MarkdownStream(live, Text("FOOTER"))
    rng = random.Random(seed)
    i = 0
    while i < len(text):
        n = rng.randint(1, 15)
        stream.feed(text[i : i + n])
        i += n
        if rng.random() < 0.15:
            stream.refresh()
    stream.finish()
    got = screen(live.file.getvalue(), width)
    assert got.endswith("\nFOOTER") and got.count("FOOTER") == 1
    assert got.removesuffix("\nFOOTER") == screen(whole.file.getvalue(), width)


def test_finished_blocks_are_printed_once_and_never_redrawn() -> None:
    live = console(80)
    stream = MarkdownStream(live, Text("FOOTER"))
    stream.feed("First paragraph.\n\nSecond")
    stream.refresh()
    before = live.file.getvalue()
    stream.feed(" paragraph grows")
    stream.refresh()
    after = live.file.getvalue()[len(before) :]
    assert "First paragraph." in before and "First paragraph." not in after
    assert "Second paragraph grows" in after


@pytest.mark.parametrize("seed", range(3))
def test_no_word_is_lost_however_deep_the_nesting(seed: int) -> None:
    """Quotes and lists nested up to 60 deep, mixed: markdown-it drops what passes its guard and
    Rich squeezes deep quotes to no width; every word must still reach the screen."""
    rng = random.Random(seed)
    lines, words = [], []
    for i in range(40):
        depth = rng.randint(0, 60)
        prefix = "".join(rng.choice(["> ", "- ", "1. ", "  ", "* "]) for _ in range(depth))
        words.append(f"w{i}x")
        lines.append(f"{prefix}w{i}x")
        if rng.random() < 0.3:
            lines.append("")
    text = "\n".join(lines) + "\n"
    for width in (40, 100):
        live = console(width)
        stream = MarkdownStream(live)
        i = 0
        while i < len(text):
            n = rng.randint(1, 20)
            stream.feed(text[i : i + n])
            i += n
            if rng.random() < 0.2:
                stream.refresh()
        stream.finish()
        shown = "".join(screen(live.file.getvalue(), width).split())
        assert [w for w in words if w not in shown] == []
