"""goshi/record.py against msgspec.Struct and dataclasses, and json.loads against msgspec's
decoder on stream chunks (issue 26, item 5). One command, every number in bench/README.md's
"record.py vs msgspec":

    flock /work/suite.lock .venv/bin/python bench/records.py [--runs N] [--grind-runs N] [--part P]

Parts: classes (defining 60 frozen classes of 3-8 fields), instances (the per-token events made
and read), json (one stream chunk decoded), hostile (what each decoder does with what a hostile
server sends), imports (`import msgspec`), ask (a 1-token `goshi ask` with goshi's records made
as msgspec Structs instead), pipe (a 5,000-token `goshi ask` into a pipe with the chunk decoder
swapped), instructions (5,000 chunks decoded, and the ask and the pipe again, under callgrind).
In-process parts time CPU (time.process_time) with the kinds interleaved repetition by
repetition; process parts take the child's CPU (user + sys, wait4) and the median of each run's
ratio against the stock run just before it. Runs in the current venv (editable install).
The variants are made at run time by `launch()` below: goshi's files are not changed.
"""

from __future__ import annotations

import sys
from dataclasses import MISSING, Field, dataclass, make_dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
CHUNK = (
    '{"id":"chatcmpl-AbC1dEfGhIjKlMnOpQrStUvWxYz12","object":"chat.completion.chunk",'
    '"created":1733475600,"model":"gpt-4o-mini-2024-07-18","service_tier":"default",'
    '"system_fingerprint":"fp_0aa8d3e20b","choices":[{"index":0,"delta":{"content":" word"},'
    '"logprobs":null,"finish_reason":null}],"usage":null}'
)
RESPONSES_DELTA = (
    '{"type":"response.output_text.delta","sequence_number":12,'
    '"item_id":"msg_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5e5e8a","output_index":0,'
    '"content_index":0,"delta":" word"}'
)
ASK_IMPORTS = "import goshi.entry, goshi.llm.openai, goshi.commands.ending, goshi.commands.ask"
TYPES = ("str", "int", "str | None", "list[str]", "float", "bool", "int | None", "dict[str, Any]")


# --- the variants a child goshi runs with (see launch) -------------------------------------------


def as_struct(cls: Any = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
    """goshi.record.record made of msgspec: the class becomes a Struct with the same fields,
    defaults and methods, and keeps `__record_fields__` so goshi's fields()/replace() work."""
    if cls is None:
        return lambda c: _struct(c, frozen)
    return _struct(cls, frozen)


def _struct(cls: Any, frozen: bool) -> Any:
    import msgspec

    meta = type(msgspec.Struct)
    body = dict(cls.__dict__)
    base = next((b for b in cls.__bases__ if isinstance(b, meta)), None)
    declared: dict[str, Field[Any]] = dict(getattr(base, "__record_fields__", {}))
    given: dict[str, Any] = {}
    if isinstance(cls, meta):  # a record's subclass: its class statement made a Struct already
        defaults = cls.__struct_defaults__
        given = dict(
            zip(
                cls.__struct_fields__[len(cls.__struct_fields__) - len(defaults) :],
                defaults,
                strict=True,
            )
        )
        for name in [n for n in body if n.startswith("__struct_")]:
            del body[name]
        for name in ("__slots__", "__match_args__"):
            body.pop(name, None)
    specs: list[Any] = []
    for name, kind in body.pop("__annotations__", {}).items():
        value: Any = given.get(name, body.pop(name, MISSING))
        body.pop(name, None)
        f: Field[Any] = value if isinstance(value, Field) else dc_field(default=value)
        f.name, f.type = name, kind
        declared[name] = f
        if f.default is not MISSING:
            specs.append((name, kind, f.default))
        elif f.default_factory is not MISSING:
            specs.append((name, kind, msgspec.field(default_factory=f.default_factory)))
        else:
            specs.append((name, kind))
    for name in ("__dict__", "__weakref__", "__module__", "__qualname__"):
        body.pop(name, None)
    body["__record_fields__"] = declared
    made = msgspec.defstruct(
        cls.__name__,
        specs,
        bases=(base,) if base else None,
        module=cls.__module__,
        namespace=body,
        frozen=frozen,
    )
    made.__qualname__ = cls.__qualname__
    return made


class _MsgspecJson:
    """Stands for goshi.llm.openai's `json` module: its `loads` is msgspec's decoder."""

    def __init__(self) -> None:
        import msgspec

        self.loads = msgspec.json.decode


def launch(variant: str, argv: list[str]) -> None:
    """Run goshi's console script with goshi's records or its chunk decoder swapped."""
    import goshi.record

    if variant in ("struct", "both"):
        goshi.record.record = as_struct
    if variant == "timed":  # how long goshi's own records take to define, in this process
        import atexit
        import time

        spent: list[float] = []
        make = goshi.record._make

        def timed(cls: Any, frozen: bool, slots: bool) -> Any:
            start = time.process_time()
            made = make(cls, frozen, slots)
            spent.append(time.process_time() - start)
            return made

        goshi.record._make = timed
        atexit.register(lambda: print(f"RECORDS {len(spent)} {sum(spent)}", file=sys.stderr))
    import goshi.llm.openai

    if variant in ("msgspec-json", "both"):
        setattr(goshi.llm.openai, "json", _MsgspecJson())  # noqa: B010 (not exported)
    from goshi.entry import main

    sys.argv = ["goshi", *argv]
    main()


LAUNCHER = f"import sys; sys.path.insert(0, {str(BENCH)!r}); import records; " + (
    "records.launch(sys.argv[1], sys.argv[2:])"
)

# --- in-process measurements ---------------------------------------------------------------------


def cpu_ns(fn: Any, number: int) -> float:
    """CPU nanoseconds per call of fn, over `number` calls."""
    import time

    start = time.process_time_ns()
    for _ in range(number):
        fn()
    return (time.process_time_ns() - start) / number


def interleaved(kinds: dict[str, Any], runs: int, number: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(runs):
        for name, fn in kinds.items():
            out[name].append(cpu_ns(fn, number))
    return out


def table(title: str, unit: str, samples: dict[str, list[float]], scale: float) -> None:
    import statistics

    print(f"\n{title}\n\n| kind | median {unit} | least {unit} |\n|---|---:|---:|")
    for name, values in samples.items():
        print(f"| {name} | {statistics.median(values) / scale:.2f} | {min(values) / scale:.2f} |")


def sixty(kind: str) -> None:
    """Define 60 frozen classes of 3-8 fields (the last a default in every other one)."""
    import msgspec

    meta: Any = type(msgspec.Struct)
    from goshi.record import record

    for n in range(60):
        names = [f"f{i}" for i in range(3 + n % 6)]
        body: dict[str, Any] = {
            "__annotations__": {f: TYPES[i % len(TYPES)] for i, f in enumerate(names)},
            "__doc__": "A record.",
            "__module__": __name__,
        }
        if n % 2:
            body[names[-1]] = None
        if kind == "msgspec.Struct(frozen=True)":
            meta(f"C{n}", (msgspec.Struct,), body, frozen=True)
        elif kind == "goshi as_struct shim (frozen)":
            as_struct(frozen=True)(type(f"C{n}", (), body))
        elif kind == "@record(frozen=True, slots=True)":
            record(frozen=True, slots=True)(type(f"C{n}", (), body))
        elif kind == "@dataclass(frozen=True, slots=True)":
            dataclass(frozen=True, slots=True)(type(f"C{n}", (), body))
        else:
            dataclass(frozen=True)(type(f"C{n}", (), body))


def classes(runs: int) -> None:
    kinds = (
        "@dataclass(frozen=True)",
        "@dataclass(frozen=True, slots=True)",
        "@record(frozen=True, slots=True)",
        "msgspec.Struct(frozen=True)",
        "goshi as_struct shim (frozen)",
    )
    samples = interleaved({k: (lambda k=k: sixty(k)) for k in kinds}, runs, 1)
    table("Defining 60 frozen classes of 3-8 fields, CPU", "ms", samples, 1e6)


def instances(runs: int) -> None:
    import msgspec

    from goshi.llm.types import TextDelta, ToolCallDelta
    from goshi.record import fields

    def like(cls: Any) -> tuple[Any, Any]:
        """The same class as a frozen Struct and as a frozen, slotted dataclass."""
        spec = [(f.name, f.type) for f in fields(cls)]
        name = cls.__name__
        made = make_dataclass(name, spec, frozen=True, slots=True)
        return msgspec.defstruct(name, spec, frozen=True), made

    STextDelta, DTextDelta = like(TextDelta)
    SToolCallDelta, DToolCallDelta = like(ToolCallDelta)
    made = {"record": TextDelta(" w"), "Struct": STextDelta(" w"), "dataclass": DTextDelta(" w")}
    kinds: dict[str, Any] = {}
    for label, one, four in (
        ("record", TextDelta, ToolCallDelta),
        ("Struct", STextDelta, SToolCallDelta),
        ("dataclass", DTextDelta, DToolCallDelta),
    ):
        kinds[f"TextDelta(' w'), {label}"] = lambda one=one: one(" w")
        kinds[f"ToolCallDelta(0, 'c', 'f', '{{'), {label}"] = lambda f=four: f(0, "c", "f", "{")
        kinds[f".text, {label}"] = lambda e=made[label]: e.text
    samples = interleaved(kinds, runs, 200_000)
    table("The per-token events: one made, one field read (CPU per call)", "ns", samples, 1)


def _chunk_types() -> tuple[Any, Any]:
    """Structs of the fields goshi reads (types as objects: these are made inside a function)."""
    import msgspec

    text, count, anything = str | None, int | None, Any
    delta = msgspec.defstruct(
        "Delta",
        [(n, text, None) for n in ("content", "reasoning_content", "refusal")]
        + [("tool_calls", list[Any] | None, None)],
    )
    choice = msgspec.defstruct(
        "Choice", [("index", int, 0), ("delta", delta | None, None), ("finish_reason", text, None)]
    )
    chunk = msgspec.defstruct(
        "Chunk",
        [
            ("model", anything, None),
            ("choices", list[choice], []),  # type: ignore[valid-type]
            ("usage", anything, None),
            ("service_tier", anything, None),
        ],
    )
    event = msgspec.defstruct(
        "TextEvent",
        [("type", str)]
        + [(n, count, None) for n in ("sequence_number", "output_index", "content_index")]
        + [("item_id", text, None), ("delta", text, None)],
    )
    return chunk, event


def decoding(runs: int) -> None:
    import json

    import msgspec

    chunk, text_event = _chunk_types()
    typed_chunk, typed_event = msgspec.json.Decoder(chunk), msgspec.json.Decoder(text_event)
    kinds: dict[str, Any] = {}
    for label, text, typed in (
        ("chat chunk", CHUNK, typed_chunk),
        ("Responses delta", RESPONSES_DELTA, typed_event),
    ):
        kinds[f"{label}: json.loads"] = lambda t=text: json.loads(t)
        kinds[f"{label}: msgspec.json.decode"] = lambda t=text: msgspec.json.decode(t)
        kinds[f"{label}: msgspec Decoder(Struct)"] = lambda t=text, d=typed: d.decode(t)
    samples = interleaved(kinds, runs, 50_000)
    table(
        f"One stream event decoded from str, CPU per event ({len(CHUNK)} and "
        f"{len(RESPONSES_DELTA)} characters)",
        "us",
        samples,
        1e3,
    )


def hostile() -> None:
    import json

    import msgspec

    from goshi.llm.chunks import Chunks
    from goshi.llm.types import TextDelta

    cases = {
        "lone surrogate escape `\\ud83d`": '"a\\ud83d"',
        "duplicate keys": '{"a":1,"a":2}',
        "`NaN` / `Infinity` (Python's json.dumps writes them)": '{"prompt_tokens":Infinity}',
        "`1e400`": "[1e400]",
        "integer of 5,000 digits": "1" * 5000,
        "integer of 25 digits": "1" * 25,
        "100,000 nested arrays": "[" * 100_000 + "]" * 100_000,
        "raw U+2028 in a string": '"a\u2028b"',
    }
    print("\n| input | json.loads | msgspec.json.decode |\n|---|---|---|")
    for label, text in cases.items():
        said = []
        for decode in (json.loads, msgspec.json.decode):
            try:
                said.append(f"`{decode(text)!r:.24}`")
            except (ValueError, RecursionError) as exc:
                said.append(f"{type(exc).__name__}: {str(exc)[:40]}")
        print(f"| {label} | {' | '.join(said)} |")
    # tests/test_dialect_backends.py's hostile pair: an emoji's halves in two chunks
    split = [
        '{"choices":[{"index":0,"delta":{"content":"a \\ud83d"}}]}',
        '{"choices":[{"index":0,"delta":{"content":"\\ude00 b \\udfff"}}]}',
    ]
    for name, decode in (("json.loads", json.loads), ("msgspec", msgspec.json.decode)):
        reader, text = Chunks("m"), ""
        for event in split:
            try:
                chunk = decode(event)
            except ValueError:
                continue  # goshi/llm/openai.py: a malformed event is skipped
            text += "".join(e.text for e in reader.read(chunk, "delta") if type(e) is TextDelta)
        text += "".join(e.text for e in reader.flush() if type(e) is TextDelta)
        print(f"\nan emoji split across two chunks, read with {name}: {text!r}")


# --- child processes ----------------------------------------------------------------------------


def imports(runs: int) -> None:
    import statistics
    import subprocess

    from common import PYTHON, environment, run_piped

    env = environment(Path("/nonexistent"), "http://127.0.0.1:9")
    bare, loaded = [], []
    for _ in range(runs):
        bare.append(run_piped([PYTHON, "-c", "pass"], env).cpu_s)
        loaded.append(run_piped([PYTHON, "-c", "import msgspec"], env).cpu_s)
    least = []
    for _ in range(9):
        err = subprocess.run(
            [PYTHON, "-X", "importtime", "-c", "import msgspec"], capture_output=True, text=True
        ).stderr
        line = next(x for x in err.splitlines() if x.rstrip().endswith("| msgspec"))
        least.append(int(line.split("|")[1]))
    after = []
    for _ in range(9):
        err = subprocess.run(
            [PYTHON, "-X", "importtime", "-c", ASK_IMPORTS + "; import msgspec"],
            capture_output=True,
            text=True,
        ).stderr
        tail = err.splitlines()[
            [x.split("|")[-1].strip() for x in err.splitlines()].index("goshi.commands.ask") + 1 :
        ]
        after.append(
            sum(int(x.split("|")[0].split(":")[1]) for x in tail if x.startswith("import time:"))
        )
    print(
        f"\n`import msgspec` after the modules a plain ask loads: {min(after) / 1000:.1f} ms of "
        "importtime self time for what it adds (least of 9)"
    )
    diff = statistics.median(b - a for a, b in zip(bare, loaded, strict=True)) * 1000
    print(
        f"\n`import msgspec`: importtime cumulative {min(least) / 1000:.1f} ms (least of 9); "
        f"CPU `python -c 'import msgspec'` - `python -c pass`: {diff:.1f} ms (median of "
        f"{runs} interleaved pairs; {statistics.median(bare) * 1000:.1f} ms bare)"
    )


def goshi_runs(tokens: int, variants: tuple[str, ...], runs: int, title: str) -> None:
    import os
    import statistics
    import subprocess
    import tempfile

    from common import PYTHON, Server, environment, run_piped

    server = Server("--tokens", str(tokens))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            (home / "work").mkdir()
            os.chdir(home / "work")
            env = environment(home, server.url)

            def cmd(variant: str) -> list[str]:
                if variant == "floor":
                    return [PYTHON, str(BENCH / "floor.py"), "hi"]
                return [PYTHON, "-c", LAUNCHER, variant, "ask", "hi"]

            timed = subprocess.run(cmd("timed"), env=env, capture_output=True, text=True).stderr
            count, spent = next(x for x in timed.splitlines() if x.startswith("RECORDS")).split()[
                1:
            ]
            cpu: dict[str, list[float]] = {v: [] for v in variants}
            outputs = {v: run_piped(cmd(v), env).output for v in variants}  # warm, and compare
            for _ in range(runs):
                for v in variants:
                    cpu[v].append(run_piped(cmd(v), env).cpu_s)
    finally:
        server.stop()
    stock = variants[1]
    print(f"\n{title}: {runs} interleaved runs, child CPU (user + sys)\n")
    print(f"goshi defines {count} records in this run: {float(spent) * 1000:.1f} ms CPU\n")
    print("| variant | median ms | least ms | per-run ratio: to stock | to floor | same stdout |")
    print("|---|---:|---:|---:|---:|---|")
    for v in variants:
        to_stock, to_floor = (
            statistics.median(b / a for a, b in zip(cpu[base], cpu[v], strict=True))
            for base in (stock, "floor")
        )
        print(
            f"| {v} | {statistics.median(cpu[v]) * 1000:.1f} | {min(cpu[v]) * 1000:.1f} | "
            f"{to_stock:.3f}x | {to_floor:.3f}x | "
            f"{'yes' if outputs[v] == outputs['floor'] else 'NO'} |"
        )


def instructions(tokens: int, variants: tuple[str, ...], reps: int) -> None:
    """Each variant under callgrind, interleaved: instructions do not move with the machine's
    load (what still moves them: how the socket splits the stream, when the GC runs)."""
    import os
    import subprocess
    import tempfile

    from common import PYTHON, Server, environment

    server = Server("--tokens", str(tokens))
    counts: dict[str, list[int]] = {v: [] for v in variants}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            (home / "work").mkdir()
            os.chdir(home / "work")
            env = environment(home, server.url, PYTHONHASHSEED="0")

            def argv(v: str) -> list[str]:
                if v == "floor":
                    return [PYTHON, str(BENCH / "floor.py"), "hi"]
                return [PYTHON, "-c", LAUNCHER, v, "ask", "hi"]

            for v in variants:  # the store made, the caches warm, before counting
                subprocess.run(argv(v), env=env, capture_output=True, check=True)
            grind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
            for _ in range(reps):
                for v in variants:
                    err = subprocess.run(
                        [*grind, *argv(v)], env=env, capture_output=True, text=True, check=True
                    ).stderr
                    counts[v].append(int(err.rsplit("Collected :", 1)[1].split()[0]))
    finally:
        server.stop()
    stock, floor = min(counts["stock"]), min(counts["floor"])
    print(
        f"\n{tokens:,}-token `goshi ask` into a pipe, instructions (callgrind, least of {reps} "
        "interleaved runs)\n"
    )
    print("| variant | instructions (M) | spread (M) | minus stock (M) | / stock | / floor |")
    print("|---|---:|---:|---:|---:|---:|")
    for v, ns in counts.items():
        n = min(ns)
        print(
            f"| {v} | {n / 1e6:.1f} | {(max(ns) - n) / 1e6:.1f} | {(n - stock) / 1e6:+.1f} | "
            f"{n / stock:.3f}x | {n / floor:.3f}x |"
        )


DECODE_LOOP = (
    "import sys; sys.path.insert(0, {bench!r}); from records import CHUNK; import {module}; "
    "f = {module}.{call}\nfor _ in range({n} if sys.argv[1] == 'loop' else 0): f(CHUNK)"
)


def decode_instructions(n: int = 5000) -> None:
    """n chat chunks decoded in a bare process, less the same process that decodes none."""
    import subprocess

    from common import PYTHON

    def count(code: str, loop: str) -> int:
        grind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        err = subprocess.run(
            [*grind, PYTHON, "-c", code, loop],
            env={"PYTHONHASHSEED": "0"},
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        return int(err.rsplit("Collected :", 1)[1].split()[0])

    print(f"\n{n:,} chat chunks decoded, instructions (callgrind; the import beside)\n")
    print("| decoder | decoding (M) | per chunk | the process without decoding (M) |")
    print("|---|---:|---:|---:|")
    for module, call in (("json", "loads"), ("msgspec", "json.decode")):
        code = DECODE_LOOP.format(bench=str(BENCH), module=module, call=call, n=n)
        idle = count(code, "idle")
        spent = count(code, "loop") - idle
        print(f"| {module}.{call} | {spent / 1e6:.1f} | {spent / n:,.0f} | {idle / 1e6:.1f} |")


def main() -> None:
    import argparse

    parts = ("classes", "instances", "json", "hostile", "imports", "ask", "pipe", "instructions")
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--part", action="append", choices=parts)
    parser.add_argument("--grind-runs", type=int, default=4, help="runs under callgrind")
    args = parser.parse_args()
    chosen = args.part or parts
    sys.path.insert(0, str(BENCH))
    if "classes" in chosen:
        classes(args.runs)
    if "instances" in chosen:
        instances(args.runs)
    if "json" in chosen:
        decoding(args.runs)
    if "hostile" in chosen:
        hostile()
    if "imports" in chosen:
        imports(args.runs)
    if "ask" in chosen:
        goshi_runs(1, ("floor", "stock", "struct"), args.runs, "1-token `goshi ask` into a pipe")
    if "pipe" in chosen:
        goshi_runs(
            5000,
            ("floor", "stock", "msgspec-json", "both"),
            args.runs,
            "5,000-token `goshi ask` into a pipe",
        )
    if "instructions" in chosen:
        decode_instructions()
        instructions(1, ("floor", "stock", "msgspec-json", "struct"), args.grind_runs)
        instructions(5000, ("floor", "stock", "msgspec-json", "both"), args.grind_runs)


if __name__ == "__main__":
    main()
