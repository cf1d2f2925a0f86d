"""Help that reads well at 80 columns: metavars instead of Python type names, reflowed prose.

Typer labels each parameter with its Python annotation (``<bool>``, ``<str>``, ``<list[Path]>``).
``HelpGroup``, the root command's class, walks every command once when the tree is built and gives
each parameter a metavar a reader expects: nothing for a flag, its choices, ``FILE``/``DIR``/
``PATH`` for paths, ``N`` for integers, ``NUMBER``, ``TIME``, else the option's name in capitals.
It also joins the hard-wrapped lines of each prose paragraph of a command's help so the terminal
wraps them; indented lines and ``Example`` paragraphs are kept as written.
"""

from __future__ import annotations

import inspect
from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption

_PLAIN = {"int": "N", "float": "NUMBER", "datetime": "TIME", "bool": "BOOLEAN"}


class HelpGroup(TyperGroup):
    """The root group: fixes the help of the whole command tree under it once, when built."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fix_help(self)

    def get_params(self, ctx: Any) -> list[Any]:
        """The root's own options, including those Typer adds after building (completion)."""
        params: list[Any] = super().get_params(ctx)
        for param in params:
            _fix_param(param)
        return params


def fix_help(command: Any) -> None:
    """Metavars and reflowed help for ``command`` and every command under it."""
    if command.help:
        command.help = reflow(command.help)
    for param in command.params:
        _fix_param(param)
    make_help_option = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = make_help_option(ctx)
        if option is not None:
            _fix_param(option)
        return option

    # Typer builds the help option per context, after the tree: label it when it is made.
    setattr(command, "get_help_option", help_option)  # noqa: B010
    for sub in getattr(command, "commands", {}).values():
        fix_help(sub)


def reflow(text: str) -> str:
    """Join the lines of each prose paragraph; keep indented lines and examples as written."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    kept = []
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        literal = any(line.startswith((" ", "\b", "- ", "* ", "|", "$")) for line in lines)
        if literal or paragraph.lstrip().startswith(("Example", "orgloop ")):
            kept.append(paragraph)
        else:
            kept.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(kept)


def _fix_param(param: Any) -> None:
    if param.metavar is not None:
        return
    if isinstance(param, TyperOption) and param.is_flag:
        param.metavar = ""
        return
    label = _label(param)
    if isinstance(param, TyperArgument):
        param.metavar = (param.name or "value").upper()
        # An argument's type column ignores its metavar: show the kind only where it helps.
        shown = None if label == param.metavar else label
        setattr(param, "display_type_rich", lambda ctx: shown)  # noqa: B010
        return
    param.metavar = label


def _label(param: Any) -> str:
    desc = param.type_descriptor
    if desc.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    if desc.is_path:
        return {"file": "FILE", "directory": "DIR"}.get(desc.path_type, "PATH")
    bare = param.bare_type()
    if bare.startswith("list["):
        bare = bare[5:-1]
    if bare in _PLAIN:
        return _PLAIN[bare]
    if bare == "Path":
        return "PATH"
    return (param.name or "value").upper()
