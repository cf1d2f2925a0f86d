"""What-if scenario files: reading and checking them, and applying their changes to an ``Org``.

A scenario is a list of changes (move a service or a person, split or merge teams, declare an
interaction) and an optional simulation of work items. Every change is checked against the
organisation as the changes before it left it; every problem is reported with the file, the
change's index and the field, and nothing is applied unless all of it is right. Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from orgloop.insights.org import MODES, Org
from orgloop.insights.whatif.simulation import ItemType, SimConfig, Stage
from orgloop.kernel.errors import InvalidInput

MAX_ITEMS = 20_000  # work items one simulation may draw: about 3 s of one core per side
MAX_CHANGES = 10_000
MAX_STAGES = 100
ACTIONS = ("move_service", "move_person", "split", "merge", "remove_team", "declare")


@dataclass(frozen=True)
class Scenario:
    name: str
    changes: tuple[Mapping[str, Any], ...]
    simulation: SimConfig | None


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[dict[str, Any]] = []

    def add(self, path: str, message: str, index: int | None = None) -> None:
        self.errors.append({"file": self.source, "index": index, "path": path, "message": message})

    def raise_if_any(self) -> None:
        if self.errors:
            first = self.errors[0]
            raise InvalidInput(
                f"{self.source}: {first['path']}: {first['message']}"
                + (f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""),
                details={"errors": self.errors},
            )


def apply_scenario(org: Org, body: Any, *, source: str = "scenario") -> tuple[Org, Scenario]:
    """The organisation after every change of ``body``, or InvalidInput listing every problem."""
    problems = _Problems(source)
    if not isinstance(body, Mapping):
        problems.add("", "a scenario is a mapping with 'changes' (and optionally 'simulation')")
        problems.raise_if_any()
    assert isinstance(body, Mapping)
    for key in sorted(set(body) - {"name", "changes", "simulation", "source"}):
        problems.add(str(key), "unknown field (expected name, changes, simulation)")
    changes = body.get("changes", [])
    if not isinstance(changes, list):
        problems.add("changes", "must be a list of changes")
        changes = []
    if len(changes) > MAX_CHANGES:
        problems.add("changes", f"{len(changes)} changes; at most {MAX_CHANGES:,}")
        changes = []
    after = org
    for i, change in enumerate(changes):
        after = _apply(after, change, i, problems)
    simulation = _simulation(body.get("simulation"), after, org, problems)
    problems.raise_if_any()
    return after, Scenario(str(body.get("name") or source), tuple(changes), simulation)


def _apply(org: Org, change: Any, i: int, problems: _Problems) -> Org:
    at = f"changes[{i}]"
    if not isinstance(change, Mapping):
        problems.add(at, f"must be a mapping with one of {', '.join(ACTIONS)}", i)
        return org
    actions = [a for a in ACTIONS if a in change]
    if len(actions) != 1:
        problems.add(at, f"needs exactly one of {', '.join(ACTIONS)}", i)
        return org
    before = len(problems.errors)
    result = _CHANGES[actions[0]](org, change, at, lambda p, m: problems.add(p, m, i))
    return org if len(problems.errors) > before else result


Report = Any  # Callable[[str, str], None]; kept loose for the handlers' signatures


def _team(org: Org, value: Any, path: str, report: Report) -> str | None:
    if not isinstance(value, str) or value.lower() not in _teams(org):
        report(path, f"unknown team {value!r}")
        return None
    return value.lower()


def _teams(org: Org) -> set[str]:
    return set(org.teams) | set(org.owner.values())


def _move_service(org: Org, c: Mapping[str, Any], at: str, report: Report) -> Org:
    service = str(c["move_service"]).lower()
    if service not in org.owner:
        report(f"{at}.move_service", f"unknown service {c['move_service']!r}")
    team = _team(org, c.get("to"), f"{at}.to", report)
    if service not in org.owner or team is None:
        return org
    return replace(org, owner={**org.owner, service: team})


def _move_person(org: Org, c: Mapping[str, Any], at: str, report: Report) -> Org:
    person = str(c["move_person"]).lower()
    if not any(person in m for m in org.members.values()) and person not in org.roles:
        report(f"{at}.move_person", f"unknown person {c['move_person']!r}")
    team = _team(org, c.get("to"), f"{at}.to", report)
    if team is None:
        return org
    members = {t: tuple(p for p in m if p != person) for t, m in org.members.items()}
    members[team] = tuple(sorted({*members.get(team, ()), person}))
    return replace(org, members=members)


def _split(org: Org, c: Mapping[str, Any], at: str, report: Report) -> Org:
    team = _team(org, c["split"], f"{at}.split", report)
    into = c.get("into")
    if not isinstance(into, Mapping) or not into:
        report(f"{at}.into", "must map each new team to its services and people")
        return org
    if team is None:
        return org
    owner, members = dict(org.owner), {t: list(m) for t, m in org.members.items()}
    teams = [*org.teams]
    for new, part in into.items():
        name, where = str(new).lower(), f"{at}.into.{new}"
        if name in _teams(org):
            report(where, f"team {new!r} exists already")
            continue
        part = part if isinstance(part, Mapping) else {}
        for s in part.get("services") or []:
            if owner.get(str(s).lower()) != team:
                report(f"{where}.services", f"{s!r} is not a service of {team}")
            else:
                owner[str(s).lower()] = name
        for p in part.get("people") or []:
            if str(p).lower() not in members.get(team, []):
                report(f"{where}.people", f"{p!r} is not a member of {team}")
            else:
                members[team].remove(str(p).lower())
                members.setdefault(name, []).append(str(p).lower())
        teams.append(name)
        members.setdefault(name, [])
    unit = {**org.unit, **{str(n).lower(): org.unit[team] for n in into if team in org.unit}}
    return replace(
        org,
        teams=tuple(sorted(set(teams))),
        owner=owner,
        members={t: tuple(sorted(m)) for t, m in members.items()},
        unit=unit,
    )


def _merge(org: Org, c: Mapping[str, Any], at: str, report: Report) -> Org:
    names = c["merge"]
    if not isinstance(names, list) or len(names) < 2:
        report(f"{at}.merge", "must list at least two teams")
        return org
    teams = [_team(org, n, f"{at}.merge[{k}]", report) for k, n in enumerate(names)]
    into = str(c.get("into") or names[0]).lower()
    if into in _teams(org) and into not in teams:
        report(f"{at}.into", f"team {into!r} exists already and is not one of those merged")
    merged = {t for t in teams if t is not None}
    if len(merged) != len(teams):
        return org
    owner = {s: into if t in merged else t for s, t in org.owner.items()}
    members = {t: m for t, m in org.members.items() if t not in merged}
    members[into] = tuple(sorted({p for t in merged for p in org.members.get(t, ())}))
    interactions: dict[frozenset[str], str] = {}
    for pair, mode in org.interactions.items():
        renamed = frozenset(into if t in merged else t for t in pair)
        if len(renamed) == 2:
            interactions[renamed] = mode
    unit = {t: u for t, u in org.unit.items() if t not in merged}
    first = next((org.unit[t] for t in sorted(merged) if t in org.unit), None)
    if first is not None:
        unit[into] = first
    return replace(
        org,
        teams=tuple(sorted((set(org.teams) - merged) | {into})),
        owner=owner,
        members=members,
        interactions=interactions,
        unit=unit,
    )


def _declare(org: Org, c: Mapping[str, Any], at: str, report: Report) -> Org:
    pair = c["declare"]
    mode = str(c.get("mode", "collaboration")).lower()
    if mode not in MODES:
        report(f"{at}.mode", f"must be one of {', '.join(MODES)}")
    if not isinstance(pair, list) or len(pair) != 2:
        report(f"{at}.declare", "must name two teams")
        return org
    a = _team(org, pair[0], f"{at}.declare[0]", report)
    b = _team(org, pair[1], f"{at}.declare[1]", report)
    if a is None or b is None or mode not in MODES:
        return org
    return replace(org, interactions={**org.interactions, frozenset((a, b)): mode})


def _remove_team(org: Org, c: Mapping[str, Any], at: str, report: Report) -> Org:
    team = _team(org, c["remove_team"], f"{at}.remove_team", report)
    if team is None:
        return org
    if org.owned_by(team) or org.members.get(team):
        report(f"{at}.remove_team", f"team {team} still owns services or has people; move them")
        return org
    return replace(
        org,
        teams=tuple(t for t in org.teams if t != team),
        members={t: m for t, m in org.members.items() if t != team},
        unit={t: u for t, u in org.unit.items() if t != team},
        interactions={p: m for p, m in org.interactions.items() if team not in p},
    )


_CHANGES = {
    "move_service": _move_service,
    "move_person": _move_person,
    "split": _split,
    "merge": _merge,
    "remove_team": _remove_team,
    "declare": _declare,
}


def _simulation(raw: Any, after: Org, before: Org, problems: _Problems) -> SimConfig | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.add("simulation", "must be a mapping")
        return None
    known = {"arrival_per_day", "days", "handoff_days", "seed", "items", "capacity"}
    for key in sorted(set(raw) - known):
        problems.add(f"simulation.{key}", f"unknown field (expected {', '.join(sorted(known))})")
    numbers: dict[str, float] = {}
    for key, default, low, high in (
        ("arrival_per_day", 1.0, 0.001, 1000.0),
        ("days", 250.0, 1.0, 3650.0),
        ("handoff_days", 2.0, 0.0, 365.0),
        ("seed", 1.0, 0.0, 2**32 - 1),
    ):
        value = raw.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            problems.add(f"simulation.{key}", f"must be a number from {low:g} to {high:g}")
            value = default
        numbers[key] = float(value)
    items = []
    for k, item in enumerate(raw.get("items") or []):
        at = f"simulation.items[{k}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("stages"), list):
            problems.add(at, "needs 'stages': a list of {service, days}")
            continue
        stages = []
        if len(item["stages"]) > MAX_STAGES:
            problems.add(f"{at}.stages", f"at most {MAX_STAGES} stages")
            continue
        for j, stage in enumerate(item["stages"]):
            where = f"{at}.stages[{j}]"
            service = str(stage.get("service", "")).lower() if isinstance(stage, Mapping) else ""
            days = stage.get("days") if isinstance(stage, Mapping) else None
            if service not in before.owner or service not in after.owner:
                problems.add(f"{where}.service", f"unknown service {service or None!r}")
            elif isinstance(days, bool) or not isinstance(days, int | float) or days <= 0:
                problems.add(f"{where}.days", "must be a positive number of days")
            else:
                stages.append(Stage(service, float(days)))
        share = item.get("share", 1.0)
        if isinstance(share, bool) or not isinstance(share, int | float) or share <= 0:
            problems.add(f"{at}.share", "must be a positive number")
            share = 1.0
        if stages:
            items.append(ItemType(str(item.get("name", f"item-{k}")), tuple(stages), float(share)))
    if not items:
        problems.add("simulation.items", "needs at least one item with stages")
        return None
    expected = numbers["arrival_per_day"] * numbers["days"]
    if expected > MAX_ITEMS:
        problems.add(
            "simulation.arrival_per_day",
            f"arrival_per_day x days is {expected:g} items; at most {MAX_ITEMS:,} are simulated",
        )
        return None
    capacity = raw.get("capacity") or {}
    if not isinstance(capacity, Mapping):
        problems.add("simulation.capacity", "must map teams to a number of parallel items")
        capacity = {}
    return SimConfig(
        items=tuple(items),
        arrival_per_day=numbers["arrival_per_day"],
        days=int(numbers["days"]),
        handoff_days=numbers["handoff_days"],
        seed=int(numbers["seed"]),
        capacity={str(t).lower(): int(n) for t, n in capacity.items() if isinstance(n, int)},
    )
