"""The shape of the synthetic county, drawn from the seed alone (no database).

Everything here is a pure function of ``(seed, size)``: the tree of townships, villages and clean
units with their adults, households and party members, and the planted effects that the
responses are generated from. Tests and the indices work read the truth back with
`planted_effects` without touching the database.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from surveyapp.demo import names
from surveyapp.models import OrgKind

SIZES = ("small", "full")
# The bands must be the labels of the citizen questionnaire's raking item, or raking cannot
# match respondents to the population cells.
AGE_GROUPS = ("18—29岁", "30—44岁", "45—59岁", "60岁及以上")
SEXES = ("男", "女")
COUNTY_CODE = "QY"

# Age shares of adults (18–29, 30–44, 45–59, 60+): villages are older than towns' communities.
VILLAGE_AGE_SHARES = np.array([0.14, 0.22, 0.32, 0.32])
COMMUNITY_AGE_SHARES = np.array([0.24, 0.30, 0.26, 0.20])


def rng_for(seed: int, part: str) -> np.random.Generator:
    """An independent stream per part of the county, so adding a part never shifts the others."""
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


@dataclass(frozen=True, slots=True)
class SizeSpec:
    streets: int
    townships: int
    villages_per_township: tuple[int, int]  # inclusive range, including the seat's community
    communities_per_street: tuple[int, int]
    tiny_villages: int  # fewer than 30 adults
    large_communities: int  # several thousand adults
    village_adults: tuple[float, float]  # log-normal median and sigma
    community_adults: tuple[float, float]
    member_rate: tuple[float, float]  # party members per adult: villages, communities
    township_staff: tuple[int, int]  # cadres besides the four leaders
    every_county_unit: bool  # else one unit of each kind
    private_enterprises: tuple[int, int]
    unit_members: tuple[int, int]
    best_worst_townships: int
    best_worst_villages: int
    tiny_samples: int  # villages that get deliberately few responses


SPECS = {
    "small": SizeSpec(
        streets=1,
        townships=1,
        villages_per_township=(4, 4),
        communities_per_street=(3, 3),
        tiny_villages=1,
        large_communities=0,
        village_adults=(500, 0.5),
        community_adults=(1200, 0.4),
        member_rate=(0.009, 0.006),
        township_staff=(2, 2),
        every_county_unit=False,
        private_enterprises=(1, 1),
        unit_members=(2, 5),
        best_worst_townships=1,
        best_worst_villages=1,
        tiny_samples=1,
    ),
    "full": SizeSpec(
        streets=4,
        townships=10,
        villages_per_township=(14, 20),
        communities_per_street=(10, 14),
        tiny_villages=3,
        large_communities=3,
        village_adults=(850, 0.75),
        community_adults=(2600, 0.55),
        member_rate=(0.029, 0.019),
        township_staff=(6, 12),
        every_county_unit=True,
        private_enterprises=(0, 3),
        unit_members=(8, 60),
        best_worst_townships=2,
        best_worst_villages=3,
        tiny_samples=5,
    ),
}


@dataclass(frozen=True, slots=True)
class VillagePlan:
    code: str
    name: str
    kind: OrgKind
    adults: int
    households: int
    members: int
    # adults by (age group, sex): rows follow AGE_GROUPS, columns SEXES
    cells: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class UnitPlan:
    code: str
    name: str
    kind: OrgKind
    members: int


@dataclass(frozen=True, slots=True)
class TownshipPlan:
    code: str
    name: str
    kind: OrgKind
    staff: int
    villages: tuple[VillagePlan, ...]
    units: tuple[UnitPlan, ...]

    @property
    def adults(self) -> int:
        return sum(v.adults for v in self.villages)


@dataclass(frozen=True, slots=True)
class PlantedEffects:
    """The truth the responses are generated from, on the 0–100 score scale.

    A respondent's latent score in village ``v`` of township ``t`` at wave ``w`` is
    ``base + township[t] + village[v] + wave_shift[w]`` plus respondent noise
    (sd ``respondent_sd``); each likert answer adds item noise (sd ``item_sd``) and is the
    scale point whose score is nearest. ``best_*`` / ``worst_*`` name the units whose effect
    was planted far from the rest; ``tiny_samples`` get only a handful of citizen responses;
    ``burst_village`` gets a same-day burst of top-rated poster responses (flag_burst).
    ``count_rate_ratio`` multiplies each township's violation and petition rates.
    """

    seed: int
    size: str
    base: float
    respondent_sd: float
    item_sd: float
    wave_shift: tuple[float, float]
    township: dict[str, float]
    village: dict[str, float]
    best_townships: tuple[str, ...]
    worst_townships: tuple[str, ...]
    best_villages: tuple[str, ...]
    worst_villages: tuple[str, ...]
    tiny_samples: tuple[str, ...]
    burst_village: str
    count_rate_ratio: dict[str, float] = field(default_factory=dict)

    def village_mean(self, township_code: str, village_code: str, wave: int) -> float:
        """The true mean latent score of a village's adults at wave 0 (baseline) or 1."""
        return (
            self.base
            + self.township[township_code]
            + self.village[village_code]
            + self.wave_shift[wave]
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CountyPlan:
    seed: int
    size: str
    code: str
    name: str
    townships: tuple[TownshipPlan, ...]
    county_units: tuple[UnitPlan, ...]
    effects: PlantedEffects

    def villages(self) -> list[tuple[TownshipPlan, VillagePlan]]:
        return [(t, v) for t in self.townships for v in t.villages]


def check_seed_and_size(seed: int, size: str) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed ({seed!r}) must be an int")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed ({seed}) must be between 0 and 4294967295")
    if size not in SIZES:
        raise ValueError(f"size ({size!r}) must be one of {', '.join(SIZES)}")


def plan_county(seed: int = 1, size: str = "small") -> CountyPlan:
    """Draw the county's shape for ``(seed, size)``; the same arguments give the same plan."""
    check_seed_and_size(seed, size)
    spec = SPECS[size]
    rng = rng_for(seed, "plan")
    townships = _plan_townships(rng, spec)
    county_units = _plan_units(rng, spec, COUNTY_CODE, _county_units(spec))
    effects = _plant_effects(rng_for(seed, "effects"), seed, size, spec, townships)
    return CountyPlan(seed, size, COUNTY_CODE, names.COUNTY_NAME, townships, county_units, effects)


def planted_effects(seed: int = 1, size: str = "small") -> PlantedEffects:
    """The planted truth of the demo county ``(seed, size)``, without building it.

    Examples
    --------
    >>> truth = planted_effects(1, "small")
    >>> truth.village[truth.best_villages[0]] > truth.village[truth.worst_villages[0]]
    True
    """
    return plan_county(seed, size).effects


def _plan_townships(rng: np.random.Generator, spec: SizeSpec) -> tuple[TownshipPlan, ...]:
    n = spec.streets + spec.townships
    street_names = list(names.STREET_NAMES[: spec.streets])
    township_names = [
        names.TOWNSHIP_NAMES[i]
        for i in np.sort(rng.permutation(len(names.TOWNSHIP_NAMES))[: spec.townships])
    ]
    kinds = [OrgKind.STREET] * spec.streets + [OrgKind.TOWNSHIP] * spec.townships
    n_villages = [
        int(rng.integers(lo, hi + 1))
        for lo, hi in [spec.communities_per_street] * spec.streets
        + [spec.villages_per_township] * spec.townships
    ]
    # Which villages are tiny and which communities large is decided county-wide, then dealt out.
    is_street = np.repeat([k is OrgKind.STREET for k in kinds], n_villages)
    village_slots = np.flatnonzero(~is_street)
    community_slots = np.flatnonzero(is_street)
    tiny = set(rng.choice(village_slots, spec.tiny_villages, replace=False).tolist())
    large = set(rng.choice(community_slots, spec.large_communities, replace=False).tolist())
    village_pool = names.village_names(rng, int((~is_street).sum()))
    community_pool = names.community_names(rng, int(is_street.sum()) + spec.townships)

    townships, slot = [], 0
    for i in range(n):
        code = f"{COUNTY_CODE}{i + 1:02d}"
        name = (street_names + township_names)[i]
        villages = []
        for j in range(n_villages[i]):
            street = kinds[i] is OrgKind.STREET
            # A township's last unit is the community around its seat (镇区社区).
            seat = not street and j == n_villages[i] - 1 and spec.townships > 1
            kind = OrgKind.COMMUNITY if street or seat else OrgKind.VILLAGE
            vname = community_pool.pop() if kind is OrgKind.COMMUNITY else village_pool.pop()
            adults = _draw_adults(rng, spec, kind, tiny=slot in tiny, large=slot in large)
            villages.append(_plan_village(rng, spec, f"{code}V{j + 1:02d}", vname, kind, adults))
            slot += 1
        staff = int(rng.integers(spec.township_staff[0], spec.township_staff[1] + 1))
        townships.append(
            TownshipPlan(
                code,
                name,
                kinds[i],
                staff,
                tuple(villages),
                _plan_township_units(rng, spec, code, name, kinds[i]),
            )
        )
    return tuple(townships)


def _draw_adults(
    rng: np.random.Generator, spec: SizeSpec, kind: OrgKind, *, tiny: bool, large: bool
) -> int:
    if tiny:
        return int(rng.integers(12, 30))
    if large:
        return int(rng.integers(4000, 8500))
    median, sigma = spec.village_adults if kind is OrgKind.VILLAGE else spec.community_adults
    return int(np.clip(rng.lognormal(np.log(median), sigma), 40, 7000))


def _plan_village(
    rng: np.random.Generator, spec: SizeSpec, code: str, name: str, kind: OrgKind, adults: int
) -> VillagePlan:
    base = VILLAGE_AGE_SHARES if kind is OrgKind.VILLAGE else COMMUNITY_AGE_SHARES
    ages = rng.dirichlet(base * 60)
    female = np.clip(rng.normal(0.50, 0.02, size=4) + np.array([-0.02, -0.01, 0.0, 0.04]), 0, 1)
    p = np.column_stack([ages * (1 - female), ages * female]).ravel()
    cells = rng.multinomial(adults, p / p.sum()).reshape(4, 2)
    households = max(1, round(adults / rng.uniform(2.1, 2.7)))
    rate = spec.member_rate[0] if kind is OrgKind.VILLAGE else spec.member_rate[1]
    # Every village has a secretary and usually two more cadres who may be members.
    members = max(3, int(rng.binomial(adults, rate)))
    return VillagePlan(
        code,
        name,
        kind,
        adults,
        households,
        members,
        tuple(tuple(int(x) for x in row) for row in cells),
    )


def _county_units(spec: SizeSpec) -> list[tuple[str, str]]:
    if spec.every_county_unit:
        return list(names.COUNTY_UNITS)
    return list({kind: (kind, name) for kind, name in reversed(names.COUNTY_UNITS)}.values())[::-1]


def _plan_township_units(
    rng: np.random.Generator, spec: SizeSpec, code: str, name: str, kind: OrgKind
) -> tuple[UnitPlan, ...]:
    short = name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
    if kind is OrgKind.STREET:
        wanted = [("hospital", f"{short}社区卫生服务中心"), ("school", f"{short}小学")]
    else:
        wanted = [
            ("school", f"{short}中心小学"),
            ("school", f"{short}初级中学"),
            ("hospital", f"{name}卫生院"),
        ]
    n_private = int(rng.integers(spec.private_enterprises[0], spec.private_enterprises[1] + 1))
    trades = rng.permutation(len(names.PRIVATE_ENTERPRISE_TRADES))[:n_private]
    wanted += [
        ("private_enterprise", f"{short}{names.PRIVATE_ENTERPRISE_TRADES[i]}") for i in trades
    ]
    if spec.townships == 1:  # the small county keeps one unit per township, plus an enterprise
        wanted = wanted[:1] + wanted[-1:] if kind is OrgKind.TOWNSHIP else wanted[:1]
    return _plan_units(rng, spec, code, wanted)


def _plan_units(
    rng: np.random.Generator, spec: SizeSpec, parent_code: str, wanted: list[tuple[str, str]]
) -> tuple[UnitPlan, ...]:
    lo, hi = spec.unit_members
    return tuple(
        UnitPlan(
            f"{parent_code}U{k + 1:02d}",
            name,
            OrgKind(kind),
            int(rng.integers(lo, hi + 1))
            if kind != "private_enterprise"
            else int(rng.integers(1, max(2, lo) + 1)),
        )
        for k, (kind, name) in enumerate(wanted)
    )


def _plant_effects(
    rng: np.random.Generator,
    seed: int,
    size: str,
    spec: SizeSpec,
    townships: tuple[TownshipPlan, ...],
) -> PlantedEffects:
    t_codes = [t.code for t in townships]
    t_effect = dict(zip(t_codes, np.round(rng.normal(0, 4, len(t_codes)), 2).tolist(), strict=True))
    order = rng.permutation(len(t_codes))
    k = spec.best_worst_townships
    best_t = tuple(sorted(t_codes[i] for i in order[:k]))
    worst_t = tuple(sorted(t_codes[i] for i in order[k : 2 * k]))
    for code in best_t:
        t_effect[code] = 10.0
    for code in worst_t:
        t_effect[code] = -10.0

    # Planted villages need a real sample, so tiny villages (and tiny samples) are kept apart.
    villages = [v for t in townships for v in t.villages]
    v_effect = dict(
        zip(
            [v.code for v in villages],
            np.round(rng.normal(0, 5, len(villages)), 2).tolist(),
            strict=True,
        )
    )
    eligible = [v.code for v in villages if v.adults >= 100]
    chosen = rng.permutation(eligible)
    k = spec.best_worst_villages
    best_v = tuple(sorted(chosen[:k].tolist()))
    worst_v = tuple(sorted(chosen[k : 2 * k].tolist()))
    tiny_samples = tuple(sorted(chosen[2 * k : 2 * k + spec.tiny_samples].tolist()))
    burst = str(chosen[2 * k + spec.tiny_samples])
    for code in best_v:
        v_effect[code] = 16.0
    for code in worst_v:
        v_effect[code] = -20.0

    ratio = {c: round(float(np.exp(rng.normal(0, 0.15))), 3) for c in t_codes}
    for code in worst_t:
        ratio[code] = 2.5
    for code in best_t:
        ratio[code] = 0.4
    return PlantedEffects(
        seed=seed,
        size=size,
        base=74.0,
        respondent_sd=12.0,
        item_sd=10.0,
        wave_shift=(0.0, 3.0),
        township=t_effect,
        village=v_effect,
        best_townships=best_t,
        worst_townships=worst_t,
        best_villages=best_v,
        worst_villages=worst_v,
        tiny_samples=tiny_samples,
        burst_village=burst,
        count_rate_ratio=ratio,
    )
