"""Counts said right: `counted(1, "turn")` is "1 turn", `counted(3, "turn")` "3 turns"."""

IRREGULAR = {"summary": "summaries"}


def counted(n: int, noun: str, *, digits: str = ",") -> str:
    """`n` and the noun in the number it takes; `digits` formats n (thousands separated)."""
    word = noun if n == 1 else IRREGULAR.get(noun, noun + "s")
    return f"{n:{digits}} {word}"
