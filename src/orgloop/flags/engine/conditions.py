"""Targeting conditions: GrowthBook's MongoDB-style rules, compiled once into fast closures.

``compile_condition`` turns a condition document into a predicate over a unit's attributes.
Compiling is lenient by default, as an SDK must be: an operator it cannot honour (unknown, badly
shaped, a refused regular expression) never matches, exactly as GrowthBook treats it. With
``strict=True`` the same problems raise ``InvalidInput`` with the field path of each one, which is
what the server does before it accepts a ruleset.
"""

from __future__ import annotations

from functools import lru_cache
from types import CodeType, FunctionType
from typing import Any

from orgloop.flags.engine.jsvalues import (
    PADDED_VERSIONS,
    REGEX_MAX_INPUT,
    compile_regex,
    js_number,
    js_string,
    js_truthy,
    padded_version,
    padded_version_cached,
)
from orgloop.flags.engine.operators import (
    NUMBER,
    VERSION_COMPARE,
    Attributes,
    Compiler,
    Predicate,
    SavedGroups,
    ValueTest,
    getter,
    is_operator_object,
    membership,
)
from orgloop.kernel.errors import InvalidInput

__all__ = [
    "Attributes",
    "Predicate",
    "SavedGroups",
    "ValueTest",
    "compile_condition",
    "condition_errors",
    "eval_condition",
    "invalid",
]


def compile_condition(
    condition: Any,
    *,
    saved_groups: SavedGroups | None = None,
    strict: bool = False,
    path: str = "condition",
) -> Predicate:
    """A predicate over attributes; ``strict`` raises ``InvalidInput`` instead of never matching."""
    compiler = Compiler(saved_groups or {})
    predicate = _Inliner(compiler).compile(condition, path)
    if strict and compiler.errors:
        raise invalid(compiler.errors)
    return predicate


def condition_errors(condition: Any, *, path: str = "condition") -> list[dict[str, str]]:
    """Every problem of a condition as ``{"path", "message"}``; empty when it is valid."""
    compiler = Compiler({})
    compiler.document(condition, path)
    return compiler.errors


def eval_condition(
    attributes: Attributes, condition: Any, saved_groups: SavedGroups | None = None
) -> bool:
    """Evaluate once (compiles on every call: prefer ``compile_condition`` on hot paths)."""
    return compile_condition(condition, saved_groups=saved_groups)(attributes)


def invalid(errors: list[dict[str, str]]) -> InvalidInput:
    """One ``InvalidInput`` listing every problem found."""
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return InvalidInput(f"{first['path']}: {first['message']}{more}", details={"errors": errors})


class _TooDeep(Exception):
    """The generated expression would nest too deeply for Python's compiler."""


_MAX_DEPTH = 40
_INLINE_GLOBALS: dict[str, Any] = {
    "_NUM": NUMBER,
    "str": str,
    "list": list,
    "len": len,
    "_pvc": PADDED_VERSIONS.get,
    "_pv": padded_version_cached,
}


@lru_cache(maxsize=1024)
def _code(source: str) -> CodeType:
    """Compiled code of a generated predicate; rules repeat shapes across rulesets."""
    namespace: dict[str, Any] = {}
    # The source is ours: operators and bound names only, never a value from the condition.
    exec(compile(source, "<condition>", "exec"), {}, namespace)
    code: CodeType = namespace["predicate"].__code__
    return code


class _Inliner:
    """Writes a condition as one Python expression, so a unit is tested with a single call.

    The common shapes (string, number and null equality, ``$in``/``$nin`` of strings, numeric
    ``$gt``-style comparisons, ``$eq``/``$ne`` of strings, ``$exists``, ``$and/$or/$nor/$not``)
    become inline tests that take the direct Python path when the attribute has the literal's
    type and fall back to the JavaScript coercions otherwise; every other operator calls the
    closure ``Compiler`` builds for it, so meanings (and strict-mode errors) stay in one place.
    Constants never enter the source: they are bound as names, so no value is ever evaluated.
    """

    def __init__(self, compiler: Compiler) -> None:
        self.compiler = compiler
        self.names: dict[str, Any] = {}

    def compile(self, condition: Any, path: str) -> Predicate:
        try:
            body = self.document(condition, path, 0)
        except _TooDeep:
            return self.compiler.document(condition, path)
        source = f"def predicate(a):\n    return {body}\n"
        scope = dict(_INLINE_GLOBALS, **self.names)
        predicate: Predicate = FunctionType(_code(source), scope)
        return predicate

    def bind(self, value: Any) -> str:
        name = f"_c{len(self.names)}"
        self.names[name] = value
        return name

    def document(self, condition: Any, path: str, depth: int) -> str:
        if depth > _MAX_DEPTH:
            raise _TooDeep
        if not isinstance(condition, dict):
            return f"{self.bind(self.compiler.document(condition, path))}(a)"
        parts: list[str] = []
        for key, arg in condition.items():
            sub = f"{path}.{key}"
            if key in ("$or", "$nor", "$and") and isinstance(arg, list):
                docs = [self.document(c, f"{sub}[{i}]", depth + 1) for i, c in enumerate(arg)]
                joined = f" {'and' if key == '$and' else 'or'} ".join(docs) or "True"
                parts.append(f"(not ({joined}))" if key == "$nor" else f"({joined})")
            elif key == "$not":
                parts.append(f"(not {self.document(arg, sub, depth + 1)})")
            elif key[:1] == "$":
                parts.append(f"{self.bind(self.compiler.document({key: arg}, path))}(a)")
            else:
                parts.append(self.attribute(key, arg, sub))
        return "(" + (" and ".join(parts) or "True") + ")"

    def attribute(self, key: str, arg: Any, path: str) -> str:
        var = f"_v{len(self.names)}"
        get = f"a.get({self.bind(key)})" if "." not in key else f"{self.bind(getter(key))}(a)"
        if is_operator_object(arg):
            tests = [self.operator(op, value, f"{path}.{op}") for op, value in arg.items()]
        else:
            tests = [self.equals(arg, path)]
        first = f"({var} := {get})"
        written = [tests[0].format(first=first, v=var)]
        written += [t.format(first=var, v=var) for t in tests[1:]]
        return "(" + " and ".join(written) + ")"

    def equals(self, expected: Any, path: str) -> str:
        """A template: ``{first}`` is the first use of the value (it is read there), ``{v}`` later ones."""
        if isinstance(expected, str):
            e = self.bind(expected)
            return f"({{first}} == {e} or ({{v}}.__class__ is not str and {self.js('string')}({{v}}) == {e}))"
        if isinstance(expected, NUMBER) and not isinstance(expected, bool):
            e = self.bind(expected)
            return f"({{first}} == {e} or ({{v}}.__class__ not in _NUM and {self.js('number')}({{v}}) == {e}))"
        if expected is None:
            return "({first} is None)"
        return self.fallback(self.compiler.value(expected, path))

    def operator(self, op: str, arg: Any, path: str) -> str:
        if op in ("$in", "$nin") and isinstance(arg, list) and all(type(e) is str for e in arg):
            strings, any_of = self.bind(frozenset(arg)), self.bind(membership(arg))
            test = f"(({{first}}.__class__ is str and {{v}} in {strings}) or ({{v}}.__class__ is list and {any_of}({{v}})))"
            return test if op == "$in" else f"(not {test})"
        if op in _COMPARE and type(arg) in NUMBER:
            e, slow = self.bind(arg), self.bind(self.compiler.operator(op, arg, path))
            return f"(({{first}}.__class__ in _NUM and {{v}} {_COMPARE[op]} {e}) or ({{v}}.__class__ not in _NUM and {slow}({{v}})))"
        if op in ("$eq", "$ne") and isinstance(arg, str):
            return f"({{first}} {'==' if op == '$eq' else '!='} {self.bind(arg)})"
        if op == "$exists":
            return f"({{first}} is {'not ' if js_truthy(arg) else ''}None)"
        if op in VERSION_COMPARE:
            # Padded once here; the attribute's padded form is looked up per distinct string.
            e = self.bind(padded_version(arg))
            return f"((({{first}}.__class__ is str and _pvc({{v}})) or _pv({{v}})) {VERSION_COMPARE[op]} {e})"
        if op in ("$regex", "$regexi") and isinstance(arg, str):
            return self.regex(op, arg, path)
        if op == "$type" and arg in _TYPES:
            (yes, no), test = _TYPES[arg], self.bind(self.compiler.operator(op, arg, path))
            return f"({{first}}.__class__ {yes} or ({{v}}.__class__ {no} and {test}({{v}})))"
        if op == "$size":
            return f"({{first}}.__class__ is list and {self.size(arg, path)})"
        if op == "$elemMatch" and isinstance(arg, dict) and len(arg) == 1:
            expected = arg.get("$eq")
            if type(expected) is str and expected:  # only a string equals a string; "" is falsy
                return f"({{first}}.__class__ is list and {self.bind(expected)} in {{v}})"
        return self.fallback(self.compiler.operator(op, arg, path))

    def regex(self, op: str, arg: str, path: str) -> str:
        try:
            search = compile_regex(arg, ignore_case=op == "$regexi").search
        except ValueError:  # refused: the compiler records why, and it never matches
            return self.fallback(self.compiler.operator(op, arg, path))
        s, slow = self.bind(search), self.bind(self.compiler.operator(op, arg, path))
        # A missing attribute is JavaScript's "null": its answer is known now.
        on_null = search("null") is not None
        return (
            f"(({{first}}.__class__ is str and len({{v}}) <= {REGEX_MAX_INPUT} and {s}({{v}}) is not None)"
            f" or ({{v}} is None and {on_null})"
            f" or ({{v}}.__class__ is not str and {{v}} is not None and {slow}({{v}})))"
        )

    def size(self, arg: Any, path: str) -> str:
        """The test of a list's length (``{v}`` is known to be a list)."""
        if type(arg) in NUMBER:
            return f"len({{v}}) == {self.bind(arg)}"
        if is_operator_object(arg) and len(arg) == 1:
            ((op, n),) = arg.items()
            if op in _COMPARE and type(n) in NUMBER:
                return f"len({{v}}) {_COMPARE[op]} {self.bind(n)}"
        return f"{self.bind(self.compiler.value(arg, path))}(len({{v}}))"

    def fallback(self, test: ValueTest) -> str:
        return f"{self.bind(test)}({{first}})"

    def js(self, kind: str) -> str:
        return self.bind(js_string if kind == "string" else js_number)


_COMPARE = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_TYPES = {
    "string": ("is str", "is not str"),
    "number": ("in _NUM", "not in _NUM"),
    "array": ("is list", "is not list"),
    "object": ("is dict", "is not dict"),
}
"""``$type`` names whose usual Python class is tested inline (others call the closure)."""
