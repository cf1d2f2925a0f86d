"""Pact matching rules as data: matchers, rule lists by category, and path expressions.

v2 rules (``{"$.body.animals": {"min": 2}}``), v3 rules (``{"body": {"$.animals": {"matchers":
[...], "combine": "AND"}}}``) and v4 rules (same shape as v3, more matchers) all end up as one
``MatchingRules``; selection of the rule that applies to a body path follows the reference
implementation: the matching path expression with the highest weight wins, and a rule defined on
an ancestor applies to its descendants ("cascades"), except for size limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from orgloop.contracts.pact.errors import invalid

MATCHER_KINDS = frozenset(
    {
        "equality", "regex", "type", "include", "integer", "decimal", "number", "null",
        "boolean", "date", "time", "timestamp", "contentType", "values", "arrayContains",
        "eachKey", "eachValue", "notEmpty", "semver", "statusCode",
    }
)  # fmt: skip
_ALIASES = {"datetime": "timestamp", "min": "type", "max": "type", "content-type": "contentType"}
CATEGORIES = {"body": "body", "header": "header", "headers": "header", "query": "query",
              "path": "path", "status": "status", "metadata": "metadata", "metaData": "metadata"}  # fmt: skip


@dataclass(frozen=True)
class Matcher:
    """One matcher: ``kind`` is one of ``MATCHER_KINDS``; ``params`` keeps its settings."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass(frozen=True)
class RuleList:
    """The matchers for one path, combined with AND (all must pass) or OR (one must pass)."""

    matchers: tuple[Matcher, ...]
    combine: str = "AND"


Category = dict[str, RuleList]


@dataclass(frozen=True)
class MatchingRules:
    """Rules by category (``body``, ``header``, ``query``, ``path``, ...), then by key."""

    categories: dict[str, Category] = field(default_factory=dict, hash=False)

    def category(self, name: str) -> Category:
        return self.categories.get(name, {})


def parse_matcher(raw: Any, where: str) -> Matcher:
    """One matcher from its JSON form (v2 flat, v3/v4 ``{"match": ...}``)."""
    if not isinstance(raw, dict):
        raise invalid(where, "a matcher must be an object")
    kind = raw.get("match")
    if kind is None:
        if "min" in raw or "max" in raw:
            kind = "type"
        elif "regex" in raw:
            kind = "regex"
        else:
            raise invalid(where, "a matcher needs a 'match' field")
    kind = _ALIASES.get(str(kind), str(kind))
    if kind not in MATCHER_KINDS:
        raise invalid(where, f"unknown matcher {kind!r}")
    params = {k: v for k, v in raw.items() if k != "match"}
    for size in ("min", "max"):
        if size in params and (not isinstance(params[size], int) or params[size] < 0):
            raise invalid(f"{where}.{size}", "must be a non-negative integer")
    if kind == "regex":
        _check_regex(params.get("regex"), f"{where}.regex")
    if kind == "eachKey" or kind == "eachValue":
        rules = params.get("rules", [])
        if not isinstance(rules, list):
            raise invalid(f"{where}.rules", "must be a list of matchers")
        params["rules"] = tuple(
            parse_matcher(r, f"{where}.rules[{i}]") for i, r in enumerate(rules)
        )
    if kind == "arrayContains":
        params["variants"] = _parse_variants(params.get("variants", []), f"{where}.variants")
    return Matcher(kind, params)


def _check_regex(pattern: Any, where: str) -> None:
    if not isinstance(pattern, str):
        raise invalid(where, "a regex matcher needs a 'regex' string")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise invalid(where, f"not a valid regular expression: {exc}") from None


def _parse_variants(raw: Any, where: str) -> tuple[tuple[int, Category], ...]:
    if not isinstance(raw, list):
        raise invalid(where, "must be a list")
    variants = []
    for i, variant in enumerate(raw):
        if not isinstance(variant, dict) or not isinstance(variant.get("index"), int):
            raise invalid(f"{where}[{i}]", "a variant needs an integer 'index'")
        rules = parse_category(variant.get("rules", {}), f"{where}[{i}].rules", keyed=True)
        variants.append((variant["index"], rules))
    return tuple(variants)


def parse_rule_list(raw: Any, where: str) -> RuleList:
    """``{"matchers": [...], "combine": "AND"}`` (v3/v4) or a single v2-style matcher."""
    if isinstance(raw, dict) and "matchers" in raw:
        matchers = raw["matchers"]
        if not isinstance(matchers, list):
            raise invalid(f"{where}.matchers", "must be a list")
        combine = str(raw.get("combine", "AND")).upper()
        if combine not in ("AND", "OR"):
            raise invalid(f"{where}.combine", "must be AND or OR")
        parsed = tuple(parse_matcher(m, f"{where}.matchers[{i}]") for i, m in enumerate(matchers))
        return RuleList(parsed, combine)
    if isinstance(raw, list):
        return RuleList(tuple(parse_matcher(m, f"{where}[{i}]") for i, m in enumerate(raw)))
    return RuleList((parse_matcher(raw, where),))


def parse_category(raw: Any, where: str, *, keyed: bool) -> Category:
    """One category; ``keyed=False`` is the ``path`` category, which holds one rule list."""
    if not isinstance(raw, dict):
        raise invalid(where, "must be an object")
    if not keyed:
        return {"": parse_rule_list(raw, where)}
    return {str(k): parse_rule_list(v, f"{where}[{k!r}]") for k, v in raw.items()}


def parse_v3_rules(raw: Any, where: str) -> MatchingRules:
    """v3/v4 ``matchingRules``: keyed by category."""
    if raw is None:
        return MatchingRules()
    if not isinstance(raw, dict):
        raise invalid(where, "must be an object")
    if any(str(k).startswith("$") for k in raw):
        return parse_v2_rules(raw, where)
    categories: dict[str, Category] = {}
    for name, body in raw.items():
        category = CATEGORIES.get(str(name))
        if category is None:
            raise invalid(f"{where}.{name}", "unknown matching rule category")
        single = category in ("path", "status")
        categories[category] = parse_category(body, f"{where}.{name}", keyed=not single)
    return MatchingRules(categories)


def parse_v2_rules(raw: Any, where: str) -> MatchingRules:
    """v2 ``matchingRules``: flat, keyed by a path rooted at the request or response part."""
    if raw is None:
        return MatchingRules()
    if not isinstance(raw, dict):
        raise invalid(where, "must be an object")
    categories: dict[str, Category] = {}
    for key, value in raw.items():
        category, sub = _split_v2_key(str(key), f"{where}[{key!r}]")
        categories.setdefault(category, {})[sub] = parse_rule_list(value, f"{where}[{key!r}]")
    return MatchingRules(categories)


def _split_v2_key(key: str, where: str) -> tuple[str, str]:
    tokens = parse_path(key, where)
    if len(tokens) < 2 or tokens[0] != ROOT or not isinstance(tokens[1], Field):
        raise invalid(where, "a v2 rule path must start with $.body, $.headers, $.query or $.path")
    part = tokens[1].name
    category = CATEGORIES.get(part)
    if category is None:
        raise invalid(where, f"unknown part {part!r}")
    rest = tokens[2:]
    if category == "body":
        return "body", "$" + "".join(_token_text(t) for t in rest)
    if category == "path":
        return "path", ""
    return category, "".join(_token_text(t) for t in rest).lstrip(".")


# Path expressions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Index:
    index: int


ROOT = "$"
STAR = "*"
STAR_INDEX = "[*]"
Token = str | Field | Index
_TOKEN_RE = re.compile(
    r"\.(?P<field>[^.\[\]*]+)|\.\*|\[\*\]|\[(?P<index>\d+)\]|\['(?P<quoted>[^']*)'\]|\[\"(?P<dq>[^\"]*)\"\]"
)


def parse_path(expression: str, where: str = "$") -> tuple[Token, ...]:
    """``$.animals[*].name`` -> (ROOT, Field("animals"), STAR_INDEX, Field("name"))."""
    if not expression.startswith("$"):
        # Some writers leave the root out of body paths ("animals[*]"); accept them.
        expression = "$." + expression if not expression.startswith("[") else "$" + expression
    tokens: list[Token] = [ROOT]
    pos = 1
    while pos < len(expression):
        m = _TOKEN_RE.match(expression, pos)
        if m is None:
            raise invalid(where, f"cannot read the path expression {expression!r} at {pos}")
        text = m.group(0)
        if m.group("field") is not None:
            tokens.append(Field(m.group("field")))
        elif m.group("index") is not None:
            tokens.append(Index(int(m.group("index"))))
        elif m.group("quoted") is not None or m.group("dq") is not None:
            tokens.append(
                Field(m.group("quoted") if m.group("quoted") is not None else m.group("dq"))
            )
        else:
            tokens.append(STAR_INDEX if text == "[*]" else STAR)
        pos = m.end()
    return tuple(tokens)


def _token_text(token: Token) -> str:
    if isinstance(token, Field):
        return (
            f".{token.name}"
            if re.fullmatch(r"[A-Za-z_][\w-]*", token.name)
            else f"['{token.name}']"
        )
    if isinstance(token, Index):
        return f"[{token.index}]"
    return ".*" if token == STAR else "[*]"


def _token_weight(token: Token, fragment: str) -> int:
    if token == ROOT:
        return 2 if fragment == "$" else 0
    if isinstance(token, Field):
        return 2 if fragment == token.name else 0
    if isinstance(token, Index):
        return 2 if fragment == str(token.index) else 0
    if token == STAR_INDEX:
        return 1 if fragment.isdigit() else 0
    return 1


def path_weight(tokens: tuple[Token, ...], path: tuple[str, ...]) -> int:
    """How well an expression matches a concrete path (0: not at all); prefixes match too."""
    if len(tokens) > len(path):
        return 0
    weight = 1
    for token, fragment in zip(tokens, path, strict=False):
        weight *= _token_weight(token, fragment)
        if weight == 0:
            return 0
    return weight
