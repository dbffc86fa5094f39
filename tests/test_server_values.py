"""What a server sends is checked before use: error bodies of every shape, usage, model names,
content parts, surrogates, tool-call pieces. Pure functions: no wire involved."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from goshi.llm import error_body, sse
from goshi.llm.surrogates import TextJoiner, repaired
from goshi.llm.types import ToolCallAssembler, ToolCallDelta
from goshi.llm.values import (
    model_name,
    split_content,
    token_count,
    tool_id,
    tool_index,
    usage_of,
)

# --- error bodies ----------------------------------------------------------------------------

SHAPES = [
    (
        b'{"error":{"message":"Bad model","type":"invalid_request_error","code":"x1"}}',
        "Bad model",
        "x1",
    ),
    (
        b'{"error":"model \\"q\\" not found, try pulling it first"}',
        'model "q" not found, try pulling it first',
        "",
    ),
    (
        b'{"object":"error","message":"This model\'s maximum context length is 4096 tokens",'
        b'"type":"BadRequestError","param":null,"code":400}',
        "This model's maximum context length is 4096 tokens",
        "400",
    ),
    (b'{"detail":"Not authenticated"}', "Not authenticated", ""),
    (
        b'{"detail":[{"type":"extra_forbidden","loc":["body","stream_options"],'
        b'"msg":"Extra inputs are not permitted"}]}',
        "body.stream_options: Extra inputs are not permitted",
        "",
    ),
    (
        b'{"code":400,"message":"the request exceeds the available context size (4096 tokens)",'
        b'"type":"exceed_context_size_error"}',
        "the request exceeds the available context size (4096 tokens)",
        "400",
    ),
    (
        b"upstream connect error or disconnect/reset before headers",
        "upstream connect error or disconnect/reset before headers",
        "",
    ),
    (
        b"<html><head><title>502 Bad Gateway</title><style>b{x:1}</style></head><body>"
        b"<h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>",
        "502 Bad Gateway 502 Bad Gateway nginx",
        "",
    ),
    (b"", "", ""),
    (b"[1, 2]", "[1, 2]", ""),
]


@pytest.mark.parametrize(("raw", "text", "code"), SHAPES)
def test_every_error_body_shape_is_read(raw: bytes, text: str, code: str) -> None:
    fault = error_body.parse(raw)
    assert (fault.text, fault.code) == (text, code)


def test_error_bodies_are_bounded_and_one_line() -> None:
    huge = ("line one\n" + "x" * 200_000).encode()
    fault = error_body.parse(huge)
    assert "\n" not in fault.text and len(fault.text) <= error_body.MAX_TEXT
    taken = []

    def offered() -> Iterator[bytes]:  # 40 MB offered, 40 KB a chunk
        for _ in range(1000):
            taken.append(1)
            yield b"a" * 40_000

    assert len(error_body.read_bounded(offered())) == error_body.MAX_BODY
    assert len(taken) == 2  # the chunk that reached 64 KB was the last one read


def test_matchers_work_for_every_shape() -> None:
    nested = error_body.parse(
        b'{"error":{"message":"Unsupported parameter: \'max_tokens\' is not supported with this'
        b' model. Use \'max_completion_tokens\' instead.","param":"max_tokens"}}'
    )
    assert error_body.rejects_param(nested, "max_tokens")
    assert not error_body.rejects_param(nested, "max_completion_tokens")
    fastapi = error_body.parse(SHAPES[4][0])
    assert error_body.rejects_param(fastapi, "stream_options")
    vllm = error_body.parse(
        b'{"object":"error","message":"auto tool choice requires --enable-auto-tool-choice"}'
    )
    assert error_body.tools_unsupported(vllm)
    plain = error_body.parse(b"registry.ollama.ai/library/gemma does not support tools")
    assert error_body.tools_unsupported(plain)
    assert error_body.context_exceeded(error_body.parse(SHAPES[5][0]))
    assert error_body.context_exceeded(error_body.parse(SHAPES[2][0]))


# --- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", [-1, 10**12, float("inf"), float("nan"), 1.5, "12", True, None, [], {"n": 1}]
)
def test_insane_token_counts_count_as_missing(bad: object) -> None:
    assert token_count(bad) is None
    assert usage_of(bad, 5) is None and usage_of(5, bad) is None


def test_sane_usage_is_kept_and_cached_is_bounded() -> None:
    assert token_count(0) == 0 and token_count(12.0) == 12
    usage = usage_of(10, 4, 99)
    assert usage is not None and (usage.prompt_tokens, usage.cached_tokens) == (10, 10)
    assert usage_of(10, 4, -3) == usage_of(10, 4, 0)


@pytest.mark.parametrize("bad", [None, 42, "", "x" * 500, "gpt\x1b[31m", "a\nb", "\ud800", ["m"]])
def test_a_strange_model_name_falls_back_to_the_one_asked_for(bad: object) -> None:
    assert model_name(bad, "asked") == "asked"
    assert model_name("gpt-4o-2024-08-06", "asked") == "gpt-4o-2024-08-06"


def test_content_parts_split_into_answer_and_reasoning() -> None:
    magistral = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "Let me think."}]},
        {"type": "text", "text": "The answer"},
        {"type": "image_url", "image_url": "x"},
        7,
        " is 4.",
    ]
    assert split_content(magistral) == ("The answer is 4.", "Let me think.")
    assert split_content(None) == ("", "") and split_content({"a": 1}) == ("", "")


def test_surrogates_are_repaired_even_split_across_events() -> None:
    joiner = TextJoiner()
    got = joiner.feed("smile \ud83d") + joiner.feed("\ude00 ok \udc00") + joiner.flush()
    assert got == "smile \U0001f600 ok \ufffd"
    got.encode("utf-8")
    lone = TextJoiner()
    assert lone.feed("end \ud83d") + lone.flush() == "end \ufffd"
    assert repaired("a\ud83d\ude00\ud800") == "a\U0001f600\ufffd"


def test_tool_indices_and_ids_are_checked() -> None:
    for bad in (-1, 10**9, 1.0, "0", True, None):
        assert tool_index(bad) is None
    assert tool_index(3) == 3
    for bad in (None, 5, "", "x" * 300, "id\x07"):
        assert tool_id(bad) is None


# --- tool-call assembly ----------------------------------------------------------------------


def assemble(*pieces: tuple[int | None, str | None, str | None, str]) -> list[tuple[str, str, str]]:
    a = ToolCallAssembler()
    for p in pieces:
        a.add(ToolCallDelta(*p))
    return [(c.id, c.name, c.arguments) for c in a.calls()]


def test_calls_by_index_as_openai_sends_them() -> None:
    got = assemble(
        (0, "a", "read_file", ""),
        (1, "b", "list_dir", ""),
        (0, None, None, '{"p":'),
        (1, None, None, "{}"),
        (0, None, None, "1}"),
    )
    assert got == [("a", "read_file", '{"p":1}'), ("b", "list_dir", "{}")]


def test_a_new_id_at_an_occupied_index_starts_a_new_call() -> None:
    # Ollama's /v1: every parallel call is index 0, each whole with its own id
    got = assemble((0, "c1", "read_file", '{"path":"a"}'), (0, "c2", "read_file", '{"path":"b"}'))
    assert got == [("c1", "read_file", '{"path":"a"}'), ("c2", "read_file", '{"path":"b"}')]


def test_calls_without_index_go_by_id_then_in_order() -> None:
    got = assemble(
        (None, "x", "search", '{"q":'),
        (None, "y", "list_dir", "{"),
        (None, "x", None, '"z"}'),
        (None, None, None, "}"),
    )
    assert got == [("x", "search", '{"q":"z"}'), ("y", "list_dir", "{}")]
    anonymous = assemble((None, None, "a", "{}"), (None, None, "b", "{}"))
    assert anonymous == [("call_0", "a", "{}"), ("call_1", "b", "{}")]


# --- SSE lines -------------------------------------------------------------------------------


def test_sse_reads_error_lines_and_keeps_unicode_line_separators() -> None:
    body = [
        'data: {"a":"x\u2028y"}\r\n\r',
        '\nerror: {"message":"boom"}\n\n',
        "event: error\ndata: 1",
    ]
    got = [(e.event, e.data) for e in sse.events(body)]
    assert got == [("message", '{"a":"x\u2028y"}'), ("error", '{"message":"boom"}'), ("error", "1")]
    assert json.loads(got[0][1]) == {"a": "x\u2028y"}


# --- JSON depth --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [str, bytes])
def test_json_nested_64_deep_parses_and_65_is_refused(kind: type) -> None:
    from goshi import json_bounds

    def doc(depth: int) -> str:
        return '{"a":[' * (depth // 2) + "1" + "]}" * (depth // 2)

    def data(text: str) -> str | bytes:
        return text if kind is str else text.encode()

    assert json_bounds.loads(data(doc(64))) is not None
    for deep in (
        doc(66),
        "[" * 65 + "]" * 65,
        "[" * 200_000 + "]" * 200_000,
        "[[]," * 70 + "]" * 70,
    ):
        with pytest.raises(json_bounds.TooDeep, match="nested more than 64 levels deep"):
            json_bounds.loads(data(deep))
    # brackets inside strings are text, escaped quotes included; many side by side are not deep
    assert json_bounds.loads(data(json.dumps({"s": "[" * 500 + '\\"{' * 100}))) is not None
    assert len(json_bounds.loads(data("[" + ",".join(["[[1]]"] * 5_000) + "]"))) == 5_000
    with pytest.raises(ValueError):  # broken JSON is still json's ValueError, never a hang
        json_bounds.loads(data("[" * 100))
