"""Turn a model's reply into a plan, a review or a script, or say exactly what is wrong with it.

A `ReplyProblem` message is sent back to the same role, so it says what to change.
"""

import ast
import json
import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from benchgen.agents.model_client import ModelReply, OutputMode

MAX_REPLY_CHARS = 60_000  # characters of one reply; plans are ~2 KB, scripts ~8 KB: more is a runaway reply
MAX_VALIDATION_ERRORS = 6  # schema errors listed in one repair request
MAX_QUOTED_CHARS = 120  # characters of a bad value quoted back to the model

CODE_BLOCK = re.compile(r"```(?P<lang>[a-zA-Z0-9_+-]*)[ \t]*\n(?P<body>.*?)```", re.DOTALL)
JSON_BLOCK = re.compile(r"```(?:json)?[ \t]*\n(?P<body>.*?)```", re.DOTALL | re.IGNORECASE)
FENCE = "```"
# "12\t", "12: ", "12 | ", "12→": how tools print line numbers; written into a file they break the script.
LINE_NUMBER_PREFIX = re.compile(r"^[ \t]*(?P<number>\d+)(?:\t|: ?|[ \t]*\|[ \t]?|→)")

Schema = TypeVar("Schema", bound=BaseModel)


class ReplyProblem(ValueError):
    """Why a reply cannot be used, worded for the model that wrote it."""


def check_size(text: str) -> None:
    if len(text) > MAX_REPLY_CHARS:
        raise ReplyProblem(
            f"the reply has {len(text)} characters, more than the limit of {MAX_REPLY_CHARS}; answer with only "
            "what was asked, without repeating the request"
        )


def schema_errors(error: ValidationError) -> str:
    """Pydantic's errors as 'field.path: message (got value)', a few of them."""
    lines = []
    for item in error.errors()[:MAX_VALIDATION_ERRORS]:
        where = ".".join(str(part) for part in item["loc"]) or "the object"
        got = json.dumps(item.get("input"), default=str)
        if len(got) > MAX_QUOTED_CHARS:
            got = got[: MAX_QUOTED_CHARS - 3] + "..."
        lines.append(f"{where}: {item['msg']} (got {got})")
    more = error.error_count() - len(lines)
    return "; ".join(lines) + (f"; and {more} more" if more > 0 else "")


def json_object_in(text: str) -> object:
    """The JSON object of a reply: the whole text, else a fenced block, else the outermost braces in prose."""
    stripped = text.strip()
    candidates = [stripped, *(m["body"] for m in JSON_BLOCK.finditer(text))]
    if "{" in text and "}" in text:
        candidates.append(text[text.index("{") : text.rindex("}") + 1])
    first_error = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            first_error = first_error or exc
    if not stripped:
        raise ReplyProblem("the reply is empty; answer with the JSON object")
    raise ReplyProblem(f"the reply is not valid JSON ({first_error}); answer with one JSON object")


def parse_structured(reply: ModelReply, schema: type[Schema]) -> Schema:
    """The reply as `schema`, from its tool call or its text depending on the mode it was asked in."""
    message = reply.message
    check_size(message.text)
    if reply.cut_off:
        raise ReplyProblem(
            f"the reply was cut off at the output-token limit before the {schema.__name__} ended; "
            "answer again, shorter"
        )
    if reply.mode is OutputMode.TOOL_CALLING:
        calls = [c for c in message.tool_calls if c["name"] == schema.__name__]
        if calls:
            data: object = calls[0]["args"]
        elif message.invalid_tool_calls:
            bad = message.invalid_tool_calls[0]
            raise ReplyProblem(
                f"the arguments of your {schema.__name__} call are not valid JSON ({bad.get('error') or 'unparseable'})"
            )
        else:
            data = json_object_in(message.text)  # some servers answer in text despite the forced tool
    else:
        data = json_object_in(message.text)
    if not isinstance(data, dict):
        raise ReplyProblem(
            f"the reply is JSON but not an object (got {type(data).__name__}); send one {schema.__name__} object"
        )
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ReplyProblem(
            f"the reply does not match the {schema.__name__} schema: {schema_errors(exc)}"
        ) from None


def strip_line_numbers(source: str) -> str:
    """Remove line-number prefixes when every non-blank line carries one and they count up by one."""
    lines = source.splitlines()
    matches = [LINE_NUMBER_PREFIX.match(line) for line in lines if line.strip()]
    if not matches or any(match is None for match in matches):
        return source
    numbers = [int(match["number"]) for match in matches]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return source
    stripped = [LINE_NUMBER_PREFIX.sub("", line, count=1) for line in lines]
    return "\n".join(stripped) + ("\n" if source.endswith("\n") else "")


def extract_script(reply: str) -> tuple[str, str]:
    """(script, note) from a Coder reply: the first ```python block that defines `build` (else the first
    ```python block, else the first block, else the text)."""
    blocks = list(CODE_BLOCK.finditer(reply))
    python = [b for b in blocks if b["lang"].lower() in ("python", "py")]
    chosen = next(
        (b for b in python if "def build" in b["body"]),
        python[0] if python else (blocks[0] if blocks else None),
    )
    if chosen is None:
        body, note = reply, ""
    else:
        body, note = chosen["body"], reply[: chosen.start()].strip()
    script = strip_line_numbers(body.strip("\n") + "\n")
    return script, note


def defines(tree: ast.Module, name: str) -> bool:
    return any(isinstance(node, ast.FunctionDef) and node.name == name for node in tree.body)


def defines_build(tree: ast.Module) -> bool:
    return defines(tree, "build")


def parse_script(reply: ModelReply) -> tuple[str, str]:
    """(script, note) of a Coder reply, or a ReplyProblem: cut off, no fenced block, not Python, no build."""
    text = reply.message.text
    check_size(text)
    if reply.cut_off or text.count(FENCE) % 2 == 1:
        raise ReplyProblem(
            "the reply was cut off before the script ended (output-token limit, or a ``` fence never closed); "
            "send the complete script again, shorter: fewer comments, helper functions for repeated parts"
        )
    if not text.strip():
        raise ReplyProblem(
            "the reply is empty; answer with the complete script in one ```python fenced block"
        )
    fenced = CODE_BLOCK.search(text) is not None
    script, note = extract_script(text)
    try:
        tree = ast.parse(script)
    except SyntaxError as exc:
        if not fenced:
            raise ReplyProblem(
                "the reply has no ```python fenced block and is not a Python script as a whole; answer with the "
                "complete script in one ```python fenced block"
            ) from None
        raise ReplyProblem(
            f"the script is not valid Python: line {exc.lineno}: {exc.msg}; send the complete corrected script"
        ) from None
    if not defines_build(tree):
        raise ReplyProblem(
            "the script defines no top-level `def build(seed: int, scale: float = 1.0) -> Scenario`, the only "
            "entry point; send the complete script with it"
        )
    return script, note


def parse_witness(reply: ModelReply) -> str:
    """The witness of a Coder reply: the fenced ```python block that defines `solve`, or a ReplyProblem."""
    blocks = [b for b in CODE_BLOCK.finditer(reply.message.text) if b["lang"].lower() in ("python", "py", "")]
    for block in blocks:
        source = strip_line_numbers(block["body"].strip("\n") + "\n")
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            if "def solve" in source:
                raise ReplyProblem(
                    f"the witness is not valid Python: line {exc.lineno}: {exc.msg}; send both complete blocks "
                    "again, the witness corrected"
                ) from None
            continue
        if defines(tree, "solve"):
            if defines(tree, "build"):
                raise ReplyProblem(
                    "one block defines both `build` and `solve`; send the script and the witness as two "
                    "separate ```python blocks, the script first"
                )
            return source
    raise ReplyProblem(
        "the reply has no witness: after the script, add a second ```python block with the complete witness, "
        "a solution file defining `solve(scenario) -> Solution` that solves every variant"
    )


def parse_draft(reply: ModelReply) -> tuple[str, str, str]:
    """(script, note, witness) of a Coder reply, or the ReplyProblem of whichever is unusable."""
    source, note = parse_script(reply)
    return source, note, parse_witness(reply)
