"""SSE framing holds wherever the server's bytes are cut: a line may end in CR, LF or CRLF, and
an HTTP chunk may end between the CR and its LF, inside an event of several `data:` lines, or
inside an `event:` line. The test server cuts the body where the test says (tests/wire_server.py
replay(cuts=...)); each piece reaches goshi on its own."""

from __future__ import annotations

import itertools

import pytest

from goshi.errors import ServerError
from goshi.llm import sse
from goshi.llm.types import Done
from tests.test_dialect_backends import ask, openai, text_of
from tests.wire_server import WireServer, replay

# an answer whose second event is written over two `data:` lines (joined by \n: still JSON)
STREAM = (
    b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\r\n\r\n'
    b'data: {"choices":[{"index":0,\r\n'
    b'data: "delta":{"content":"Hello"}}]}\r\n\r\n'
    b'data: {"choices":[{"index":0,"delta":{"content":" there \xc3\xa9"},'
    b'"finish_reason":"stop"}]}\r\n\r\n'
    b"data: [DONE]\r\n\r\n"
)
# llama.cpp's failure as a named event, after the first words
FAILURE = (
    b'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\r\n\r\n'
    b"event: error\r\n"
    b'data: {"code":500,"message":"llama_decode failed: KV cache full","type":"server_error"}\r\n'
    b"\r\n"
)


def after_each_cr(body: bytes) -> list[int]:
    return [i + 1 for i, byte in enumerate(body) if byte == ord("\r")]


@pytest.mark.parametrize(
    "cuts",
    [after_each_cr(STREAM), range(1, len(STREAM))],
    ids=["cut-after-every-CR", "every-byte-its-own-chunk"],
)
def test_an_answer_cut_between_cr_and_lf_reads_whole(server: WireServer, cuts: list[int]) -> None:
    server.openai.push(replay(200, "text/event-stream", STREAM, cuts=cuts))
    events = list(openai(server).chat(ask()))
    assert text_of(events) == "Hello there é"
    assert isinstance(events[-1], Done)


@pytest.mark.parametrize(
    "cuts",
    [[FAILURE.index(b"error\r") + len(b"error\r")], range(1, len(FAILURE))],
    ids=["cut-inside-the-event-line", "every-byte-its-own-chunk"],
)
def test_a_named_error_event_cut_at_its_cr_keeps_its_name(
    server: WireServer, cuts: list[int]
) -> None:
    server.openai.push(replay(200, "text/event-stream", FAILURE, cuts=cuts))
    with pytest.raises(ServerError) as caught:
        list(openai(server).chat(ask()))
    assert "KV cache full" in caught.value.message and "mid-answer" in caught.value.message


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_the_parser_gives_the_same_events_for_every_way_of_cutting(end: str) -> None:
    text = end.join(
        ["event: error", "data: a", "data: b", "", ": a comment", "data: c", "", "data: d", "", ""]
    )
    whole = [(e.event, e.data) for e in sse.events([text])]
    assert whole == [("error", "a\nb"), ("message", "c"), ("message", "d")]
    for a, b in itertools.combinations(range(1, len(text)), 2):
        pieces = [text[:a], text[a:b], text[b:]]
        assert [(e.event, e.data) for e in sse.events(pieces)] == whole, pieces
