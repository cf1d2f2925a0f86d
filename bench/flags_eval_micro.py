"""Micro-benchmark of local flag evaluation: microseconds per evaluation over 100k users.

Three flags: a plain boolean, a force rule targeted by three conditions, and a 50/50 experiment
(hash v2). When the ``growthbook`` package is installed the same flags run through its Python
SDK too, and assignments are checked to be identical.

    .venv/bin/python bench/flags_eval_micro.py [--users 100000] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from orgloop.flags.evaluation import Evaluator
from orgloop.flags.ruleset import ruleset_from_dict

CONDITION = {"country": {"$in": ["US", "CA", "GB"]}, "plan": "pro", "age": {"$gte": 18}}
ORGLOOP = {
    "flags": {
        "plain": {"type": "boolean", "default_value": True},
        "targeted": {
            "type": "boolean",
            "default_value": False,
            "rules": [{"kind": "force", "value": True, "condition": CONDITION}],
        },
        "experiment": {
            "type": "string",
            "default_value": "control",
            "rules": [
                {
                    "kind": "experiment",
                    "key": "checkout-v2",
                    "variations": ["control", "treatment"],
                    "weights": [0.5, 0.5],
                    "hash_version": 2,
                }
            ],
        },
    }
}
GROWTHBOOK = {
    "plain": {"defaultValue": True},
    "targeted": {"defaultValue": False, "rules": [{"force": True, "condition": CONDITION}]},
    "experiment": {
        "defaultValue": "control",
        "rules": [
            {
                "key": "checkout-v2",
                "variations": ["control", "treatment"],
                "weights": [0.5, 0.5],
                "hashVersion": 2,
            }
        ],
    },
}


def users(n: int) -> list[dict[str, Any]]:
    countries = ("US", "CA", "GB", "FR", "DE")
    return [
        {
            "id": f"user-{i}",
            "country": countries[i % 5],
            "plan": "pro" if i % 3 else "free",
            "age": 15 + i % 40,
        }
        for i in range(n)
    ]


def timed(
    fn: Callable[[dict[str, Any]], Any], people: list[dict[str, Any]]
) -> tuple[float, list[Any]]:
    start = time.perf_counter()
    out = [fn(p) for p in people]
    return (time.perf_counter() - start) / len(people) * 1e6, out


def run_growthbook(people: list[dict[str, Any]]) -> dict[str, tuple[float, list[Any]]] | None:
    try:
        from growthbook import GrowthBook
    except ImportError:
        return None
    gb = GrowthBook(features=GROWTHBOOK)
    results = {}
    for key in GROWTHBOOK:
        sample = people[: max(1, len(people) // 10)]  # it is slow: a tenth of the users is plenty

        def one(p: dict[str, Any], key: str = key) -> Any:
            gb.set_attributes(p)
            return gb.eval_feature(key).value

        results[key] = timed(one, sample)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    people = users(args.users)
    evaluator = Evaluator(ruleset_from_dict(ORGLOOP))
    ours = {}
    for key in ORGLOOP["flags"]:
        ours[key] = timed(lambda p, key=key: evaluator.evaluate(key, p).value, people)
    theirs = run_growthbook(people)
    rows = []
    print(
        f"{'flag':<12}{'orgloop us/eval':>18}{'growthbook us/eval':>21}{'speed-up':>10}{'same':>6}"
    )
    for key, (us, values) in ours.items():
        row: dict[str, Any] = {"flag": key, "orgloop_us": round(us, 3)}
        line = f"{key:<12}{us:>18.3f}"
        if theirs is not None:
            gb_us, gb_values = theirs[key]
            same = gb_values == values[: len(gb_values)]
            row.update(growthbook_us=round(gb_us, 3), speedup=round(gb_us / us, 1), identical=same)
            line += f"{gb_us:>21.3f}{gb_us / us:>9.1f}x{'yes' if same else 'NO':>6}"
        rows.append(row)
        print(line)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"users": args.users, "results": rows}, fh, indent=2)


if __name__ == "__main__":
    main()
