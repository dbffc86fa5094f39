"""The render floor: bare httpx streams the answer, then Rich renders the whole text once.

The least a program can do to show a streamed Markdown answer in a terminal: no live view, no
footer, one `Markdown` render of the finished text on stdout (a 40x120 pty in bench/run.py).
"""

import json
import os
import sys

import httpx
from rich.console import Console
from rich.markdown import Markdown

url = os.environ["OPENAI_BASE_URL"] + "/chat/completions"
body = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": sys.argv[1]}],
    "stream": True,
    "stream_options": {"include_usage": True},
}
headers = {"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]}
parts = []
with httpx.stream("POST", url, json=body, headers=headers, timeout=60) as response:
    for line in response.iter_lines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        for choice in json.loads(line[6:])["choices"]:
            text = choice["delta"].get("content")
            if text:
                parts.append(text)
Console().print(Markdown("".join(parts)))
