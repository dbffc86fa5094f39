"""A request to OpenAI's Responses API (POST {base_url}/responses), made from goshi's messages.

    leading system messages       -> instructions
    user / system                 -> {"role", "content"} input items
    assistant                     -> {"type": "message", "role": "assistant", "content":
                                     [{"type": "output_text", "text"}]}: the shape OpenAI takes
                                     and llama.cpp requires (an untyped assistant item is "Cannot
                                     determine type of 'item'" there, seen on a real server)
    an image                      -> input_image with detail "auto" (vLLM's validation
                                     requires detail, though OpenAI defaults it)
    an assistant's tool calls     -> every output item of the round in its order: reasoning
                                     (unchanged) before, between and after the calls, the
                                     answer's text where it stood, a function_call per call
    a tool result                 -> function_call_output with the same call_id
    tools (chat shape)            -> {"type": "function", "name", "description", "parameters",
                                     "strict": false} (as chat completions takes them)

Nothing is stored at OpenAI unless openai.store says so: goshi sends the conversation itself
every time, and a reasoning model is asked for its reasoning encrypted
(`include: ["reasoning.encrypted_content"]`) so it can be sent back within a turn's tool rounds.
"""

from __future__ import annotations

from typing import Any

from goshi.config import OpenAISettings
from goshi.llm.api_choice import reasons
from goshi.llm.types import ChatRequest, Message, ToolCall

ENCRYPTED = "reasoning.encrypted_content"
LEAST_OUTPUT = 16  # the smallest max_output_tokens OpenAI takes


def body(
    request: ChatRequest, settings: OpenAISettings, cap: int | None, dropped: set[str]
) -> dict[str, Any]:
    """The request body; `dropped` names the optional fields this server refused before
    (`include`, `reasoning.summary`)."""
    instructions, items = input_items(request.messages)
    store = settings.store
    out: dict[str, Any] = {"model": request.model, "input": items, "stream": request.stream}
    out["store"] = store
    if instructions:
        out["instructions"] = instructions
    if request.tools:
        out["tools"] = [_tool(t) for t in request.tools]
        out["tool_choice"] = "auto"
    if cap is not None:  # OpenAI: 400 integer_below_min_value under 16
        out["max_output_tokens"] = max(cap, LEAST_OUTPUT)
    if settings.temperature is not None:
        out["temperature"] = settings.temperature
    if settings.top_p is not None:  # the Responses API takes no seed
        out["top_p"] = settings.top_p
    if settings.service_tier is not None:
        out["service_tier"] = settings.service_tier
    effort = settings.reasoning_effort
    if reasons(request.model):
        reasoning: dict[str, Any] = {} if "reasoning.summary" in dropped else {"summary": "auto"}
        if effort:
            reasoning["effort"] = effort
        if reasoning:
            out["reasoning"] = reasoning
        if not store and "include" not in dropped:
            out["include"] = [ENCRYPTED]
    elif effort:
        out["reasoning"] = {"effort": effort}
    return out


def input_items(messages: list[Message]) -> tuple[str, list[dict[str, Any]]]:
    """(instructions, input items) of a conversation."""
    lead = 0
    while lead < len(messages) and messages[lead].role == "system":
        lead += 1
    instructions = "\n\n".join(m.content for m in messages[:lead] if m.content)
    items: list[dict[str, Any]] = []
    for m in messages[lead:]:
        if m.role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": m.tool_call_id or "",
                    "output": m.content,
                }
            )
        elif m.role == "assistant" and m.tool_calls:
            items += _assistant_with_calls(m)
        elif m.images:  # the text, then each image as a data URL
            text = [{"type": "input_text", "text": m.content}] if m.content else []
            images = [_image(i.data_url()) for i in m.images]
            items.append(_said(m.role, [*text, *images]))
        elif m.content or m.role == "user":
            items.append(_said(m.role, m.content))
    return instructions, items


def _said(role: str, content: Any) -> dict[str, Any]:
    """A message item; an assistant's is typed, its text an output_text part (llama.cpp rejects
    an untyped one, and a plain string there)."""
    if role == "assistant":
        parts = [{"type": "output_text", "text": content}] if isinstance(content, str) else content
        return {"type": "message", "role": role, "content": parts}
    return {"role": role, "content": content}


def _image(url: str) -> dict[str, Any]:
    return {"type": "input_image", "image_url": url, "detail": "auto"}


def _assistant_with_calls(m: Message) -> list[dict[str, Any]]:
    """The answer's text, every reasoning item of the round and the calls, in the order the
    model produced them (a reasoning item must come right before the item that followed it)."""
    text = _said("assistant", m.content) if m.content else None
    produced: list[Any] = []
    for call in m.tool_calls:
        produced += [*call.carried, call, *call.follows]
    out: list[dict[str, Any]] = []
    placed = not any(_is_text_mark(i) for i in produced)
    if placed and text:
        out.append(text)
    for item in produced:
        if isinstance(item, ToolCall):
            out.append(
                {
                    "type": "function_call",
                    "call_id": item.id,
                    "name": item.name,
                    "arguments": item.arguments,
                }
            )
        elif not _is_text_mark(item):
            out.append(item)
        elif not placed:
            placed = True
            if text:
                out.append({**text, "phase": item["phase"]} if item.get("phase") else text)
    return out


def _is_text_mark(item: Any) -> bool:
    return isinstance(item, dict) and item.get("type") == "message"


def _tool(schema: dict[str, Any]) -> dict[str, Any]:
    fn = schema.get("function")
    if schema.get("type") != "function" or not isinstance(fn, dict):
        return schema
    out = {"type": "function", "name": fn.get("name", "")}
    if "description" in fn:
        out["description"] = fn["description"]
    out["parameters"] = fn.get("parameters") or {"type": "object", "properties": {}}
    # left out, strict means "strict where the schema allows" on Responses (every optional
    # argument then required: the model fills them with "" or 0); chat completions' default
    out["strict"] = fn.get("strict") is True
    return out
