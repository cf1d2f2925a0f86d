"""Reading YAML that anyone may have written, with bounds: every YAML reader of orgloop uses it.

PyYAML's loaders share one object for every alias of an anchor, so a "billion laughs" document of
1 KB loads in a blink, and the harm comes later, when something walks or serialises the value and
expands it (gigabytes, minutes). This reader works on libyaml's event stream (iterative, so deep
nesting cannot overflow the C stack as libyaml's own composer can) with its own construction,
which:

- resolves plain scalars with the YAML 1.2 core schema, as JSON and Backstage's ``yaml`` package
  do (``yes``/``on`` and dates stay strings; ``<<`` is an ordinary key);
- refuses duplicate keys, non-scalar keys and application tags (mapping keys are the key's text);
- bounds nesting depth, the number of aliases and the *expanded* size of a document (each alias
  counted at the full size of what it repeats), so a bomb is refused after a few dozen events.

A refusal is a :class:`YamlRefused` naming the document, the line and the field path; readers turn
it into their own error (a 422 naming the field on the API, exit 2 in the CLI).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

# libyaml's parser when PyYAML has it (about 10x faster); only its event stream is used.
_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_NODES = 1_000_000
"""Expanded nodes per document, each alias counted at the full size of what it repeats."""

# What can open or close a flow collection, a quoted scalar or a comment.
_FLOW_SIGNIFICANT = re.compile(r"[\[\]{}'\"#]")
_DOUBLE_QUOTED_REST = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)
_DOCUMENT_START = re.compile(r"^---", re.MULTILINE)
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_STD = "tag:yaml.org,2002:"


@dataclass(frozen=True)
class YamlLimits:
    """How far one document may go.

    ``nodes`` bounds the expanded size of a document, or the length of its text when that is
    more: plain data (every node written out takes a character or more) always fits, while
    aliases can expand a text by a constant factor at most, never geometrically.
    """

    depth: int = MAX_DEPTH
    aliases: int = MAX_ALIASES
    nodes: int = MAX_NODES

    def for_text(self, text: str) -> YamlLimits:
        return replace(self, nodes=max(self.nodes, len(text)))


class YamlRefused(ValueError):
    """Text that is not YAML, or YAML this reader refuses; ``line`` is 1-based (0: unknown)."""

    def __init__(self, message: str, *, document: int, line: int, path: str = "") -> None:
        super().__init__(message)
        self.message, self.document, self.line, self.path = message, document, line, path

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return where + self.message


def parse_plain_scalar(text: str) -> Any:
    """The YAML 1.2 core schema for untagged plain scalars."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    try:
        if _INT.fullmatch(text):
            return int(text)
        if text[:2] in ("0o", "0x") and len(text) > 2:
            return int(text[2:], 8 if text[1] == "o" else 16)
    except ValueError:  # more digits than Python converts; keep the text
        return text
    if _FLOAT.fullmatch(text):
        return float(text)
    special = {
        ".inf": float("inf"),
        "+.inf": float("inf"),
        "-.inf": float("-inf"),
        ".nan": float("nan"),
    }
    return special.get(text.lower(), text)


def _scalar(event: yaml.ScalarEvent) -> Any:
    tag = event.tag
    if tag in (None, "!"):
        return parse_plain_scalar(event.value) if event.implicit[0] else event.value
    if tag == _STD + "str":
        return event.value
    if tag in (_STD + "int", _STD + "float", _STD + "bool", _STD + "null"):
        return parse_plain_scalar(event.value)
    raise ValueError(f"unsupported tag {tag}")


@dataclass
class _Open:
    """A collection being built; for a mapping, ``key`` waits for its value while ``keyed``."""

    container: list[Any] | dict[str, Any]
    anchor: str | None
    size: int = 1
    key: str | None = None
    keyed: bool = False


@dataclass
class _Builder:
    """Builds one document at a time from events, enforcing the limits."""

    limits: YamlLimits
    document: int = -1
    stack: list[_Open] = field(default_factory=list)
    anchors: dict[str, tuple[Any, int]] = field(default_factory=dict)
    aliases: int = 0
    nodes: int = 0
    root: Any = None

    def start_document(self) -> None:
        self.document += 1
        self.stack, self.anchors, self.aliases, self.nodes, self.root = [], {}, 0, 0, None

    def refuse(self, message: str, line: int) -> YamlRefused:
        return YamlRefused(message, document=max(self.document, 0), line=line, path=self.path())

    def path(self) -> str:
        out = ""
        for frame in self.stack:
            if isinstance(frame.container, list):
                out += f"[{len(frame.container)}]"
            elif frame.keyed:
                out += ("." if out else "") + str(frame.key)
        return out

    def count(self, size: int, line: int) -> None:
        self.nodes += size
        if self.nodes > self.limits.nodes:
            raise self.refuse(
                f"document expands to more than {self.limits.nodes:,} nodes "
                "(aliases repeat what their anchor holds)",
                line,
            )

    def add(self, value: Any, size: int, line: int, key_text: str | None) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        top.size += size
        if isinstance(top.container, list):
            top.container.append(value)
        elif not top.keyed:
            if key_text is None:
                raise self.refuse("mapping keys must be plain strings", line)
            top.key, top.keyed = key_text, True
            if key_text in top.container:
                raise self.refuse(f"duplicate key {key_text!r}", line)
        else:
            top.container[str(top.key)] = value
            top.keyed = False

    def event(self, ev: yaml.Event) -> None:
        line = ev.start_mark.line + 1 if ev.start_mark else 0
        if isinstance(ev, yaml.ScalarEvent):
            try:
                value = _scalar(ev)
            except ValueError as exc:
                raise self.refuse(str(exc), line) from None
            self.count(1, line)
            self.add(value, 1, line, ev.value)
            if ev.anchor:
                self.anchors[ev.anchor] = (value, 1)
        elif isinstance(ev, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            if len(self.stack) >= self.limits.depth:
                refused = self.refuse(f"nesting deeper than {self.limits.depth} levels", line)
                refused.path = ""  # a path as deep as the limit helps nobody
                raise refused
            if ev.tag not in (None, "!", _STD + "seq", _STD + "map"):
                raise self.refuse(f"unsupported tag {ev.tag}", line)
            self.count(1, line)
            container: Any = [] if isinstance(ev, yaml.SequenceStartEvent) else {}
            self.stack.append(_Open(container, ev.anchor))
        elif isinstance(ev, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            frame = self.stack.pop()
            self.add(frame.container, frame.size, line, None)
            if frame.anchor:
                self.anchors[frame.anchor] = (frame.container, frame.size)
        elif isinstance(ev, yaml.AliasEvent):
            self.alias(str(ev.anchor), line)

    def alias(self, anchor: str, line: int) -> None:
        self.aliases += 1
        if self.aliases > self.limits.aliases:
            raise self.refuse(
                f"more than {self.limits.aliases} aliases (*name) in one document", line
            )
        if any(frame.anchor == anchor for frame in self.stack):
            raise self.refuse(f"alias *{anchor} refers to a node that contains it", line)
        if anchor not in self.anchors:
            raise self.refuse(f"alias *{anchor} has no anchor &{anchor} before it", line)
        value, size = self.anchors[anchor]
        self.count(size, line)
        self.add(value, size, line, None)


def _flow_depth_exceeded(text: str, depth_limit: int) -> int | None:
    """The offset where flow collections (``[``, ``{``) nest deeper than the limit, if anywhere.

    libyaml's scanner reads flow collections ahead of the events it hands out, so a deeply nested
    one fails inside the parser, with a limit and a message of its own, before the builder sees
    the first event. This scan holds our own bound first. Quoted scalars and comments are skipped;
    a quote opens a scalar only where one can start (after a space, an indicator or a line start).
    """
    depth = 0
    position = 0
    while (match := _FLOW_SIGNIFICANT.search(text, position)) is not None:
        char, start = match.group(), match.start()
        position = start + 1
        before = text[start - 1] if start else "\n"
        if char in "[{":
            depth += 1
            if depth > depth_limit:
                return start
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif char == "#":
            if before in " \t\n":
                newline = text.find("\n", position)
                position = len(text) if newline < 0 else newline
        elif before in " \t\n[{,:-?":
            if char == "'":
                close = text.find("'", position)
                while close >= 0 and text.startswith("''", close):
                    close = text.find("'", close + 2)
                position = len(text) if close < 0 else close + 1
            else:
                rest = _DOUBLE_QUOTED_REST.match(text, position)
                position = len(text) if rest is None else rest.end()
    return None


def load_all(text: str, *, limits: YamlLimits | None = None) -> Iterator[tuple[int, int, Any]]:
    """Yield ``(document index, first line, value)`` per document; raise YamlRefused."""
    limits = (limits or YamlLimits()).for_text(text)
    builder = _Builder(limits)
    too_deep = _flow_depth_exceeded(text, limits.depth)
    if too_deep is not None:
        markers = len(_DOCUMENT_START.findall(text, 0, too_deep))
        document = max(markers - (1 if text.startswith("---") else 0), 0)
        line = text.count("\n", 0, too_deep) + 1
        message = f"nesting deeper than {limits.depth} levels"
        raise YamlRefused(message, document=document, line=line)
    parser = _Parser(text)
    line = 0
    try:
        while True:
            try:
                ev = parser.get_event()
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
                raise builder.refuse(problem, mark.line + 1 if mark is not None else 0) from None
            except (yaml.YAMLError, ValueError) as exc:
                raise builder.refuse(str(exc), line) from None
            if ev is None or isinstance(ev, yaml.StreamEndEvent):
                return
            if isinstance(ev, yaml.DocumentStartEvent):
                builder.start_document()
                line = ev.start_mark.line + 1 if ev.start_mark is not None else line
            elif isinstance(ev, yaml.DocumentEndEvent):
                yield builder.document, line, builder.root
            else:
                builder.event(ev)
    finally:
        parser.dispose()


def load(text: str, *, limits: YamlLimits | None = None) -> Any:
    """The value of a single-document YAML text (None when empty); raise YamlRefused."""
    documents = load_all(text, limits=limits)
    value: Any = None
    for index, line, data in documents:
        if index > 0:
            message = "expected one YAML document; found a second one (---)"
            raise YamlRefused(message, document=index, line=line)
        value = data
    return value
