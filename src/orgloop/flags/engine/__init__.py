"""The flag evaluation engine: pure, standard library plus ``orgloop.kernel.errors`` only.

The server uses it to validate and explain flags; ``orgloop.sdk`` uses it to evaluate locally
inside customers' services, so nothing here may import a framework (an import contract holds it to
that). Other slices import the engine through this package only; its modules are the flags
slice's own business. What it exports:

- the ruleset model (``ruleset``): ``Ruleset``, ``Flag``, ``Rule``, ``ParentCondition``,
  ``Filter``, ``Namespace``, ``VariationMeta``; ``ruleset_from_dict``, ``ruleset_to_dict`` and
  ``flag_from_dict`` for the JSON payload;
- evaluation (``evaluation``, ``assignment``): ``Evaluator`` and its ``Result``;
- server-side checks (``validation``): ``validate_ruleset``, ``flag_errors``, ``find_cycles``;
- targeting conditions (``conditions``): ``compile_condition``, ``condition_errors``,
  ``eval_condition``;
- OpenFeature's terms (``reasons``): ``openfeature_resolution`` and its ``Resolution``;
- hashing and bucketing (``hashing``, ``bucketing``): ``gb_hash``, ``get_bucket_ranges``,
  ``choose_variation``.

``operators`` (the closure compiler behind conditions) and ``jsvalues`` (JavaScript value
semantics) are internal. ``README.md`` beside this file describes each module.
"""

from __future__ import annotations

from orgloop.flags.engine.assignment import Result
from orgloop.flags.engine.bucketing import choose_variation, get_bucket_ranges
from orgloop.flags.engine.conditions import compile_condition, condition_errors, eval_condition
from orgloop.flags.engine.evaluation import Evaluator
from orgloop.flags.engine.hashing import gb_hash
from orgloop.flags.engine.reasons import Resolution, openfeature_resolution
from orgloop.flags.engine.ruleset import (
    Filter,
    Flag,
    Namespace,
    ParentCondition,
    Rule,
    Ruleset,
    VariationMeta,
    flag_from_dict,
    ruleset_from_dict,
    ruleset_to_dict,
)
from orgloop.flags.engine.validation import find_cycles, flag_errors, validate_ruleset

__all__ = [
    "Evaluator",
    "Filter",
    "Flag",
    "Namespace",
    "ParentCondition",
    "Resolution",
    "Result",
    "Rule",
    "Ruleset",
    "VariationMeta",
    "choose_variation",
    "compile_condition",
    "condition_errors",
    "eval_condition",
    "find_cycles",
    "flag_errors",
    "flag_from_dict",
    "gb_hash",
    "get_bucket_ranges",
    "openfeature_resolution",
    "ruleset_from_dict",
    "ruleset_to_dict",
    "validate_ruleset",
]
