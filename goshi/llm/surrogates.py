"""Text a server sent, made encodable: UTF-16 surrogates paired, lone ones replaced.

JSON may carry `\\ud83d` and `\\ude00` in two events; Python decodes each half alone, and UTF-8
refuses to encode either. A pair split across deltas is joined; a lone half becomes U+FFFD.
"""


def has_surrogate(text: str) -> bool:
    """Any of U+D800-U+DFFF, paired or not: exactly what UTF-8 refuses to encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def repaired(text: str) -> str:
    """Surrogate pairs joined, lone surrogates replaced by U+FFFD: always encodable."""
    if text.isascii() or not has_surrogate(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class TextJoiner:
    """Repairs surrogates in a stream of deltas, holding a trailing high surrogate back until
    the next delta says whether its low half follows."""

    __slots__ = ("held",)

    def __init__(self) -> None:
        self.held = ""

    def feed(self, text: str) -> str:
        if not self.held and (text.isascii() or not has_surrogate(text)):
            return text
        text = self.held + text
        self.held = ""
        if text and "\ud800" <= text[-1] <= "\udbff":
            text, self.held = text[:-1], text[-1]
        return repaired(text)

    def flush(self) -> str:
        held, self.held = self.held, ""
        return repaired(held)
