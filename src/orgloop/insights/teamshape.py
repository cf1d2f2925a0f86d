"""Team shape: sizes against the guidelines, vertical integration and the N-tier smell.

People per team against at most ten and per organisational unit against about a hundred, with
the n(n-1)/2 communication paths each size implies; the functions present in a team (its
people's roles) against the functions its services need; and Conway's law read backwards: a
team owning one layer across several capabilities. Pure: no IO.
"""

from __future__ import annotations

from dataclasses import dataclass

from orgloop.insights.org import Org


def paths(n: int) -> int:
    """Communication paths among n people: n(n-1)/2."""
    return n * (n - 1) // 2


@dataclass(frozen=True)
class TeamShape:
    team: str
    unit: str | None
    people: int
    paths: int
    over_size: bool
    functions: tuple[str, ...]
    needs: tuple[str, ...]
    lacks: tuple[str, ...]
    n_tier: str | None
    capabilities: tuple[str, ...]

    @property
    def can_ship_alone(self) -> bool:
        return not self.lacks


@dataclass(frozen=True)
class UnitShape:
    unit: str
    teams: int
    people: int
    paths: int
    over_size: bool


def team_shapes(org: Org, *, team_limit: int = 10) -> list[TeamShape]:
    owned: dict[str, list[str]] = {}
    for service, owner in sorted(org.owner.items()):
        owned.setdefault(owner, []).append(service)
    found = []
    for team in sorted(set(org.teams) | set(org.owner.values())):
        people = org.members.get(team, ())
        services = owned.get(team, [])
        present = set().union(*(org.roles.get(p, frozenset()) for p in people))
        needed = set().union(*(org.needs.get(s, frozenset()) for s in services))
        found.append(
            TeamShape(
                team=team,
                unit=org.unit.get(team),
                people=len(people),
                paths=paths(len(people)),
                over_size=len(people) > team_limit,
                functions=tuple(sorted(present)),
                needs=tuple(sorted(needed)),
                lacks=tuple(sorted(needed - present)),
                n_tier=n_tier(org, services),
                capabilities=tuple(sorted({org.system[s] for s in services if s in org.system})),
            )
        )
    return found


def n_tier(org: Org, services: list[str]) -> str | None:
    """The layer a team owns across two or more capabilities, all its services in that layer."""
    layers = {org.layer.get(s) for s in services}
    capabilities = {org.system[s] for s in services if s in org.system}
    if len(services) >= 2 and len(layers) == 1 and len(capabilities) >= 2:
        return next(iter(layers))
    return None


def unit_shapes(org: Org, *, unit_limit: int = 100) -> list[UnitShape]:
    teams_of: dict[str, list[str]] = {}
    for team, unit in org.unit.items():
        teams_of.setdefault(unit, []).append(team)
    found = []
    for unit, teams in sorted(teams_of.items()):
        people = len({p for t in teams for p in org.members.get(t, ())})
        found.append(
            UnitShape(
                unit=unit,
                teams=len(teams),
                people=people,
                paths=paths(people),
                over_size=people > unit_limit,
            )
        )
    return found
