"""The floor: the least a program can do to stream an OpenAI answer to stdout with httpx."""

import json
import os
import sys

import httpx

url = os.environ["OPENAI_BASE_URL"] + "/chat/completions"
body = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": sys.argv[1]}],
    "stream": True,
    "stream_options": {"include_usage": True},
}
headers = {"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]}
with httpx.stream("POST", url, json=body, headers=headers, timeout=60) as response:
    for line in response.iter_lines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        for choice in json.loads(line[6:])["choices"]:
            text = choice["delta"].get("content")
            if text:
                sys.stdout.write(text)
                sys.stdout.flush()
sys.stdout.write("\n")
