"""Files the user attaches to a question (`-f PATH`, chat's `/add PATH`): text goes with the
question as fenced blocks headed by their path, an image as an image part.

    PATH, or a quoted glob goshi expands -> the files it names (none: UsageError naming it)
    -> each file's first bytes: PNG, JPEG, GIF or WebP -> an Image (base64)
                                a NUL byte              -> refused: binary
                                else                    -> UTF-8 text, within read_file's cap
    -> Attachments: the question with the text blocks before it, the images, every name
       (stored with the question, so `goshi history show` says what was attached)

Every problem is a UsageError (exit 2) raised before anything is sent. These are files the user
named, like piped stdin: the workspace jail, which holds the model's reads, does not apply.
"""

from __future__ import annotations

import base64
import glob
import logging
import re
from dataclasses import field
from pathlib import Path

from goshi.agent.tools import BINARY_SNIFF, MAX_READ_BYTES, MAX_READ_LINES, _read_lines
from goshi.errors import UsageError
from goshi.llm.types import Image, Message
from goshi.record import record

log = logging.getLogger("goshi")

MAX_IMAGE_BYTES = 20_000_000  # OpenAI's limit for one image
KINDS = "text (UTF-8) and images (PNG, JPEG, GIF, WebP)"
_GLOB = re.compile(r"[*?[]")


@record
class Attachments:
    """What goes with the next question."""

    texts: list[tuple[str, str]] = field(default_factory=list)  # (path as named, text)
    images: list[Image] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.texts or self.images)

    def names(self) -> list[str]:
        return [name for name, _ in self.texts] + [i.name for i in self.images]

    def add(self, other: Attachments) -> None:
        self.texts += other.texts
        self.images += other.images

    def question(self, prompt: str) -> Message:
        """The user's message: each text file as a fenced block headed by its path, then the
        prompt; the images beside it."""
        blocks = [fenced(name, text) for name, text in self.texts]
        content = "\n\n".join([*blocks, prompt] if prompt else blocks)
        return Message("user", content, images=list(self.images))


def fenced(name: str, text: str) -> str:
    """`name` on a line, then the text in a fence longer than any backtick run inside it."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    language = Path(name).suffix.lstrip(".")
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{name}\n{fence}{language}\n{body}{fence}"


def read(paths: list[str]) -> Attachments:
    """Every file the paths name, in order; a glob's matches sorted."""
    out = Attachments()
    for named in paths:
        try:
            for name in expand(named):
                read_one(name, out)
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte in it
            said = getattr(exc, "strerror", None) or exc
            raise UsageError(f"cannot read {named!r} ({said})", "check the path") from None
    return out


def expand(named: str) -> list[str]:
    """A path, or the files a glob pattern (quoted, so the shell left it) matches."""
    path = Path(named).expanduser()
    if path.exists() or not _GLOB.search(named):
        return [named]
    matches = sorted(m for m in glob.glob(str(path), recursive=True) if Path(m).is_file())
    if not matches:
        raise UsageError(f"no file matches {named}", "check the pattern; nothing was sent")
    return matches


def read_one(name: str, out: Attachments) -> None:
    path = Path(name).expanduser()
    if not path.exists():
        raise UsageError(f"no such file: {name}", "check the path; nothing was sent")
    if path.is_dir():
        raise UsageError(f"{name} is a folder", f"attach its files, e.g. -f '{name}/*.py'")
    with path.open("rb") as f:
        head = f.read(BINARY_SNIFF)
        mime = image_type(head)
        if mime is not None:
            data = head + f.read(MAX_IMAGE_BYTES + 1 - len(head))
            if len(data) > MAX_IMAGE_BYTES:
                raise UsageError(
                    f"{name} is larger than {MAX_IMAGE_BYTES // 1_000_000} MB",
                    "attach a smaller image",
                )
            out.images.append(Image(name, mime, base64.b64encode(data).decode("ascii")))
            return
        if b"\x00" in head:
            raise UsageError(f"{name} is a binary file", f"goshi attaches {KINDS}")
        f.seek(0)
        lines, cut = _read_lines(f, 1, None)
    if cut:
        log.warning(
            "%s: only its first %d lines or %d KB are attached (read_file's cap)",
            name,
            MAX_READ_LINES,
            MAX_READ_BYTES // 1000,
        )
    out.texts.append((name, b"".join(lines).decode("utf-8", errors="replace")))


def image_type(head: bytes) -> str | None:
    """The image's type from its first bytes (never its name), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    return None
