"""Reading Backstage descriptor files (multi-document YAML) into entities, defensively.

The YAML reader works on libyaml's event stream (iterative, so deep nesting cannot overflow the
C stack as libyaml's own composer can) with our own construction, which:

- resolves plain scalars with the YAML 1.2 core schema, as Backstage's ``yaml`` package does
  (``yes``/``on`` and dates stay strings; ``<<`` is an ordinary key);
- refuses duplicate keys, non-scalar keys and application tags;
- bounds file size, nesting depth, the number of aliases and the *expanded* size of a document,
  so a "billion laughs" file is refused after a few dozen events instead of exhausting memory.

Every problem becomes an :class:`Issue` naming the file, the document index and the field path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orgloop.catalog.entities import DEFAULT_NAMESPACE, Entity, Issue, Metadata, Source

# libyaml's parser when PyYAML has it (about 10x faster); only its event stream is used.
_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 5 * 1024 * 1024
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
_ENVELOPE = {"apiVersion", "kind", "metadata", "spec"}
_OUTPUT_ONLY = {"relations", "status"}  # computed by a catalog, never read from a descriptor
_MODELLED = {"name", "namespace", "title", "description", "labels", "annotations", "tags", "links"}


class YamlRefused(Exception):
    """Text that is not YAML, or YAML this reader refuses; ``line`` is 1-based (0: unknown)."""

    def __init__(self, message: str, *, document: int, line: int, path: str = "") -> None:
        super().__init__(message)
        self.message, self.document, self.line, self.path = message, document, line, path


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
        if self.nodes > MAX_NODES:
            raise self.refuse(f"document expands to more than {MAX_NODES} nodes", line)

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
            if len(self.stack) >= MAX_DEPTH:
                refused = self.refuse(f"nesting deeper than {MAX_DEPTH} levels", line)
                refused.path = ""  # a path as deep as the limit helps nobody
                raise refused
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
        if self.aliases > MAX_ALIASES:
            raise self.refuse(f"more than {MAX_ALIASES} aliases (*name) in one document", line)
        if any(frame.anchor == anchor for frame in self.stack):
            raise self.refuse(f"alias *{anchor} refers to a node that contains it", line)
        if anchor not in self.anchors:
            raise self.refuse(f"alias *{anchor} has no anchor &{anchor} before it", line)
        value, size = self.anchors[anchor]
        self.count(size, line)
        self.add(value, size, line, None)


def _flow_depth_exceeded(text: str) -> int | None:
    """The offset where flow collections (``[``, ``{``) nest deeper than MAX_DEPTH, if anywhere.

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
            if depth > MAX_DEPTH:
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


def load_yaml(text: str) -> Iterator[tuple[int, int, Any]]:
    """Yield ``(document index, first line, value)`` per document; raise YamlRefused."""
    builder = _Builder()
    too_deep = _flow_depth_exceeded(text)
    if too_deep is not None:
        markers = len(_DOCUMENT_START.findall(text, 0, too_deep))
        document = max(markers - (1 if text.startswith("---") else 0), 0)
        line = text.count("\n", 0, too_deep) + 1
        raise YamlRefused(f"nesting deeper than {MAX_DEPTH} levels", document=document, line=line)
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


def parse_descriptors(text: str, *, file: str) -> tuple[list[Entity], list[Issue]]:
    """The entities of one descriptor file's text, and every problem found reading them."""
    entities: list[Entity] = []
    issues: list[Issue] = []
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        issues.append(_too_large(file, size))
        return entities, issues
    try:
        for index, line, data in load_yaml(text):
            if data is None:  # an empty document, e.g. a trailing "---"; Backstage skips it too
                continue
            entity = to_entity(data, Source(file, index, line), issues)
            if entity is not None:
                entities.append(entity)
    except YamlRefused as exc:
        where = f"line {exc.line}: " if exc.line else ""
        issues.append(Issue(file, exc.document, exc.path, where + exc.message, unreadable=True))
    return entities, issues


def read_descriptor_file(
    path: Path, *, name: str | None = None
) -> tuple[list[Entity], list[Issue]]:
    """Read and parse one file; ``name`` is how the file is named in issues (default: path)."""
    file = name or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return [], [_too_large(file, size)]
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # the file may grow after stat
    except OSError as exc:
        return [], [Issue(file, None, "", f"cannot read the file: {exc.strerror}", unreadable=True)]
    if len(raw) > MAX_FILE_BYTES:
        return [], [_too_large(file, len(raw))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (invalid byte at offset {exc.start})"
        return [], [Issue(file, None, "", message, unreadable=True)]
    return parse_descriptors(text, file=file)


def _too_large(file: str, size: int) -> Issue:
    message = f"file is {size:,} bytes; descriptor files are limited to {MAX_FILE_BYTES:,} bytes"
    return Issue(file, None, "", message, unreadable=True)


def _kind_of(value: Any) -> str:
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}
    return names.get(type(value), type(value).__name__)


def to_entity(data: Any, source: Source, issues: list[Issue]) -> Entity | None:
    """One document as an Entity, or None when its envelope is unusable (issues say why)."""

    def problem(path: str, message: str) -> None:
        issues.append(Issue.at(source, path, message))

    if not isinstance(data, dict):
        problem("", f"a document must be a mapping describing one entity, not {_kind_of(data)}")
        return None
    for key in sorted(data.keys() - _ENVELOPE - _OUTPUT_ONLY):
        problem(key, "unknown top-level field (an entity has apiVersion, kind, metadata, spec)")
    usable = True
    for key in ("apiVersion", "kind"):
        if not isinstance(data.get(key), str) or not data[key]:
            problem(key, "is required" if data.get(key) is None else "must be a non-empty string")
            usable = False
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        problem("metadata", "is required" if metadata is None else "must be a mapping")
        return None
    if not isinstance(metadata.get("name"), str) or not metadata["name"]:
        problem(
            "metadata.name", "is required" if metadata.get("name") is None else "must be a string"
        )
        usable = False
    spec = data.get("spec")
    if spec is not None and not isinstance(spec, dict):
        problem("spec", f"must be a mapping, not {_kind_of(spec)}")
        usable = False
    if not usable:
        return None
    meta = _metadata(metadata, problem)
    return Entity(str(data["apiVersion"]), str(data["kind"]), meta, dict(spec or {}), source)


def _metadata(raw: dict[str, Any], problem: Any) -> Metadata:
    def text(key: str) -> str | None:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            problem(f"metadata.{key}", f"must be a string, not {_kind_of(value)}")
            return None
        return value

    return Metadata(
        name=str(raw["name"]),
        namespace=text("namespace") or DEFAULT_NAMESPACE,
        title=text("title"),
        description=text("description"),
        labels=_string_map(raw.get("labels"), "metadata.labels", problem),
        annotations=_string_map(raw.get("annotations"), "metadata.annotations", problem),
        tags=_string_list(raw.get("tags"), "metadata.tags", problem),
        links=_links(raw.get("links"), problem),
        extra={k: v for k, v in raw.items() if k not in _MODELLED},
    )


def _string_map(value: Any, path: str, problem: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problem(path, f"must be a mapping of strings, not {_kind_of(value)}")
        return {}
    good = {k: v for k, v in value.items() if isinstance(v, str)}
    for key in sorted(value.keys() - good.keys()):
        problem(f"{path}.{key}", f"must be a string, not {_kind_of(value[key])} (quote it)")
    return good


def _string_list(value: Any, path: str, problem: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        problem(path, f"must be a list of strings, not {_kind_of(value)}")
        return []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            problem(f"{path}[{i}]", f"must be a string, not {_kind_of(item)}")
    return [item for item in value if isinstance(item, str)]


def _links(value: Any, problem: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problem("metadata.links", f"must be a list, not {_kind_of(value)}")
        return []
    links: list[dict[str, Any]] = []
    for i, link in enumerate(value):
        if not isinstance(link, dict) or not isinstance(link.get("url"), str) or not link["url"]:
            problem(f"metadata.links[{i}].url", "is required: each link is a mapping with a url")
            continue
        links.append(link)
    return links
