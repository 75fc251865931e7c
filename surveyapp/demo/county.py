"""Write the planned county to the database: organisations, population, households, people,
the links of the 三个全覆盖, demo accounts and administrative counts.

Rows go in with bulk `insert(...)` statements, tier by tier, so a full county of some 170,000
households loads in seconds; ids come back with ``sort_by_parameter_order`` so links can follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from surveyapp.demo import names
from surveyapp.demo.plan import AGE_GROUPS, SEXES, CountyPlan, TownshipPlan, VillagePlan, rng_for
from surveyapp.models import (
    AdminCount,
    CountKind,
    GridBranch,
    Household,
    MemberStatus,
    Org,
    OrgKind,
    Person,
    PopulationCell,
    Role,
    Team,
    User,
)
from surveyapp.models.people import member_household, team_member, team_village

# The accounts of the demo county. Passwords are documented demo values, one per role.
DEMO_PASSWORDS = {
    Role.ADMIN: "demo-admin",
    Role.ASSESSOR: "demo-assessor",
    Role.INTERVIEWER: "demo-interviewer",
    Role.CADRE: "demo-cadre",
    Role.MEMBER: "demo-member",
}
COUNT_YEARS = ("2024", "2025")
# Yearly rates per 1,000 exposed: petitions per adult, violations per member or cadre.
COUNT_RATES = {CountKind.PETITIONS: 3.0, CountKind.VIOLATIONS: 6.0}
COUNT_TREND = (1.0, 0.85)  # the second year falls, as the 两降 targets hope
VILLAGE_POSTS = {
    OrgKind.VILLAGE: ("村党支部书记", "村委会主任", "村务监督委员会主任"),
    OrgKind.COMMUNITY: ("社区党委书记", "社区居委会主任", "社区居务监督委员会主任"),
}
TOWNSHIP_POSTS = {
    OrgKind.TOWNSHIP: ("乡镇党委书记", "乡镇长", "乡镇纪委书记", "乡镇组织委员"),
    OrgKind.STREET: ("街道党工委书记", "街道办事处主任", "街道纪工委书记", "街道组织委员"),
}
STAFF_POST = {OrgKind.TOWNSHIP: "乡镇干部", OrgKind.STREET: "街道干部"}
UNIT_SECRETARY_POST = "党支部书记"
LINKS_PER_MEMBER = (5, 10)  # 党员联户 (DOMAIN §4)
CADRES_PER_TEAM = 3
VILLAGES_PER_TEAM = 4


@dataclass
class CountyIds:
    """Database ids of what was written, by code, for the waves and the summary."""

    org: dict[str, int] = field(default_factory=dict)
    # per village: household ids, member person ids (cadres first), cadre person ids
    households: dict[str, list[int]] = field(default_factory=dict)
    members: dict[str, list[int]] = field(default_factory=dict)
    cadres: dict[str, list[int]] = field(default_factory=dict)
    township_cadres: dict[str, list[int]] = field(default_factory=dict)  # leaders first
    person_row: dict[int, int] = field(default_factory=dict)  # id -> order of creation
    person_code: dict[int, str] = field(default_factory=dict)
    # per household id, the member linked to it (党员联户)
    household_member: dict[int, int] = field(default_factory=dict)
    persons: int = 0
    people_by_township: dict[str, int] = field(default_factory=dict)  # cadres and members
    party_members: int = 0
    users: int = 0
    admin_counts: int = 0


def write_county(session: Session, plan: CountyPlan) -> CountyIds:
    ids = CountyIds()
    _write_orgs(session, plan, ids)
    _write_population(session, plan, ids)
    _write_households(session, plan, ids)
    people = _PeopleWriter(session, plan, ids)
    people.write()
    _write_users(session, plan, ids, people)
    _write_counts(session, plan, ids)
    return ids


def bulk_insert(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows in one statement per batch and return their ids in the rows' order."""
    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(stmt, rows))


def _write_orgs(session: Session, plan: CountyPlan, ids: CountyIds) -> None:
    villages = [v for t in plan.townships for v in t.villages]
    county = {
        "code": plan.code,
        "name": plan.name,
        "kind": OrgKind.COUNTY,
        "parent_id": None,
        "adults": sum(v.adults for v in villages),
        "households": sum(v.households for v in villages),
        "party_members": None,
    }
    tiers = [
        [county],
        [
            {
                "code": t.code,
                "name": t.name,
                "kind": t.kind,
                "parent": plan.code,
                "adults": t.adults,
                "households": sum(v.households for v in t.villages),
                "party_members": None,
            }
            for t in plan.townships
        ]
        + [
            {"code": u.code, "name": u.name, "kind": u.kind, "parent": plan.code}
            for u in plan.county_units
        ],
        [
            {
                "code": v.code,
                "name": v.name,
                "kind": v.kind,
                "parent": t.code,
                "adults": v.adults,
                "households": v.households,
                "party_members": v.members,
            }
            for t in plan.townships
            for v in t.villages
        ]
        + [
            {"code": u.code, "name": u.name, "kind": u.kind, "parent": t.code}
            for t in plan.townships
            for u in t.units
        ],
    ]
    for tier in tiers:
        rows = [{"adults": None, "households": None, "party_members": None, **row} for row in tier]
        for row in rows:
            row["parent_id"] = ids.org[row.pop("parent")] if "parent" in row else None
        ids.org.update(zip([r["code"] for r in rows], bulk_insert(session, Org, rows), strict=True))


def _write_population(session: Session, plan: CountyPlan, ids: CountyIds) -> None:
    rows = [
        {"org_id": ids.org[v.code], "age_group": age, "sex": sex, "adults": v.cells[a][s]}
        for _, v in plan.villages()
        for a, age in enumerate(AGE_GROUPS)
        for s, sex in enumerate(SEXES)
    ]
    session.execute(insert(PopulationCell), rows)


def _write_households(session: Session, plan: CountyPlan, ids: CountyIds) -> None:
    rng = rng_for(plan.seed, "households")
    rows: list[dict[str, Any]] = []
    spans: list[tuple[str, int, int]] = []
    for _, v in plan.villages():
        adults = _household_adults(rng, v.adults, v.households)
        sizes = adults + rng.poisson(0.6, v.households)
        sexes = np.where(rng.random(v.households) < 0.8, "男", "女")
        heads = names.person_names(rng, sexes)
        phones = names.fake_phones(len(rows), v.households)
        groups = 1 + np.arange(v.households) * max(1, v.households // 60 + 1) // v.households
        start = len(rows)
        rows.extend(
            {
                "code": f"{v.code}H{k + 1:04d}",
                "village_id": ids.org[v.code],
                "head_name": heads[k],
                "phone": phones[k],
                "address": f"{v.name}{groups[k]}组{k + 1}号",
                "size": int(sizes[k]),
                "adults": int(adults[k]),
            }
            for k in range(v.households)
        )
        spans.append((v.code, start, len(rows)))
    household_ids = bulk_insert(session, Household, rows)
    for code, start, end in spans:
        ids.households[code] = household_ids[start:end]


def _household_adults(rng: np.random.Generator, adults: int, households: int) -> np.ndarray:
    """Adults per household: at least one each, the rest spread at random."""
    spread = rng.multinomial(max(0, adults - households), np.full(households, 1 / households))
    return 1 + spread


class _PeopleWriter:
    """Cadres and party members, grid branches, 联户 links and 组团联村 teams."""

    def __init__(self, session: Session, plan: CountyPlan, ids: CountyIds) -> None:
        self.session, self.plan, self.ids = session, plan, ids
        self.rng = rng_for(plan.seed, "people")
        self.rows: list[dict[str, Any]] = []
        self.township_cadres: dict[str, list[int]] = {}  # indices into rows
        self.village_people: dict[str, list[int]] = {}
        self.person_ids: list[int] = []

    def write(self) -> None:
        for t in self.plan.townships:
            self._add_township(t)
            for v in t.villages:
                self._add_village(v)
            for u in t.units:
                self._add_unit(u.code, u.members)
        for u in self.plan.county_units:
            self._add_unit(u.code, u.members)
        self._assign_grid_branches()
        self.person_ids = bulk_insert(self.session, Person, self.rows)
        self.ids.persons = len(self.rows)
        self.ids.person_row = {pid: row for row, pid in enumerate(self.person_ids)}
        self.ids.person_code = {
            pid: r["code"] for r, pid in zip(self.rows, self.person_ids, strict=True)
        }
        self.ids.party_members = sum(r["is_member"] for r in self.rows)
        township_of = {self.ids.org[t.code]: t.code for t in self.plan.townships}
        township_of |= {
            self.ids.org[o.code]: t.code
            for t in self.plan.townships
            for o in (*t.villages, *t.units)
        }
        for row in self.rows:
            if row["org_id"] in township_of:
                code = township_of[row["org_id"]]
                self.ids.people_by_township[code] = self.ids.people_by_township.get(code, 0) + 1
        for code, rows in self.village_people.items():
            self.ids.members[code] = [self.person_ids[i] for i in rows if self.rows[i]["is_member"]]
            self.ids.cadres[code] = [self.person_ids[i] for i in rows if self.rows[i]["is_cadre"]]
        for code, rows in self.township_cadres.items():
            self.ids.township_cadres[code] = [self.person_ids[i] for i in rows]
        self._link_households()
        self._form_teams()

    def person_id(self, row: int) -> int:
        return self.person_ids[row]

    def _add_people(
        self,
        org_code: str,
        n: int,
        *,
        older: bool,
        posts: Sequence[str | None] = (),
        members: Sequence[bool] = (),
        statuses: Sequence[MemberStatus] = (),
    ) -> list[int]:
        rng = self.rng
        sexes = np.where(rng.random(n) < 0.72, "男", "女")
        ages = np.clip(rng.normal(56 if older else 44, 14, n), 22, 88).astype(int)
        person_names = names.person_names(rng, sexes)
        start = len(self.rows)
        phones = names.fake_phones(500_000 + start, n)
        status_draw = rng.choice(list(MemberStatus), size=n, p=[0.6, 0.15, 0.1, 0.15])
        for k in range(n):
            post = posts[k] if k < len(posts) else None
            is_member = members[k] if k < len(members) else True
            status = statuses[k] if k < len(statuses) else MemberStatus(status_draw[k])
            self.rows.append(
                {
                    "code": f"P{start + k + 1:06d}",
                    "name": person_names[k],
                    "sex": str(sexes[k]),
                    "birth_year": 2025 - int(ages[k]),
                    "phone": phones[k],
                    "org_id": self.ids.org[org_code],
                    "is_member": bool(is_member),
                    "is_cadre": post is not None,
                    "post": post,
                    "member_status": status if is_member else None,
                    "grid_branch_id": None,
                }
            )
        return list(range(start, start + n))

    def _add_township(self, t: TownshipPlan) -> None:
        posts = list(TOWNSHIP_POSTS[t.kind]) + [STAFF_POST[t.kind]] * t.staff
        employed = [MemberStatus.EMPLOYED] * len(posts)
        self.township_cadres[t.code] = self._add_people(
            t.code, len(posts), older=False, posts=posts, statuses=employed
        )

    def _add_village(self, v: VillagePlan) -> None:
        secretary, director, supervisor = VILLAGE_POSTS[v.kind]
        # Most villages elect one person as both secretary and director (一肩挑).
        if self.rng.random() < 0.6:
            cadre_posts = [f"{secretary}、{director}", supervisor]
        else:
            cadre_posts = [secretary, director, supervisor]
        cadre_members = [True] + [bool(x) for x in self.rng.random(len(cadre_posts) - 1) < 0.7]
        n_plain = max(0, v.members - sum(cadre_members))
        posts = cadre_posts + [None] * n_plain
        members = cadre_members + [True] * n_plain
        self.village_people[v.code] = self._add_people(
            v.code, len(posts), older=True, posts=posts, members=members
        )

    def _add_unit(self, code: str, n_members: int) -> None:
        posts = [UNIT_SECRETARY_POST]
        employed = [MemberStatus.EMPLOYED] * n_members
        self._add_people(code, max(1, n_members), older=False, posts=posts, statuses=employed)

    def _assign_grid_branches(self) -> None:
        branch_rows, owners = [], []
        for _, v in self.plan.villages():
            people = [i for i in self.village_people[v.code] if self.rows[i]["is_member"]]
            if len(people) < 6:
                continue  # too few members for grids: the village's own branch is enough
            n_branches = min(8, -(-len(people) // 15))
            label = "网格支部"
            for b in range(n_branches):
                branch_rows.append(
                    {
                        "code": f"{v.code}G{b + 1}",
                        "name": f"第{names.ORDINALS[b]}{label}",
                        "village_id": self.ids.org[v.code],
                    }
                )
            owners.append((len(branch_rows) - n_branches, n_branches, people))
        branch_ids = bulk_insert(self.session, GridBranch, branch_rows)
        for first, n_branches, people in owners:
            picks = self.rng.integers(0, n_branches, len(people))
            for person, pick in zip(people, picks, strict=True):
                self.rows[person]["grid_branch_id"] = branch_ids[first + int(pick)]

    def _link_households(self) -> None:
        """Each member serves 5–10 households of their village, overlapping only when the
        village has too few households for everyone to have their own."""
        links = []
        for _, v in self.plan.villages():
            households = self.ids.households[v.code]
            order = self.rng.permutation(len(households))
            cursor = 0
            for person in self.ids.members[v.code]:
                k = min(
                    len(households),
                    int(self.rng.integers(LINKS_PER_MEMBER[0], LINKS_PER_MEMBER[1] + 1)),
                )
                for j in range(k):
                    household = households[order[(cursor + j) % len(households)]]
                    links.append({"person_id": person, "household_id": household})
                    self.ids.household_member.setdefault(household, person)
                cursor += k
        self.session.execute(insert(member_household), links)

    def _form_teams(self) -> None:
        team_rows, cadre_links, village_links = [], [], []
        for t in self.plan.townships:
            staff = self.township_cadres[t.code][4:] or self.township_cadres[t.code]
            villages = [v.code for v in t.villages]
            n_teams = -(-len(villages) // VILLAGES_PER_TEAM)
            for k in range(n_teams):
                team_rows.append(
                    {
                        "code": f"{t.code}T{k + 1}",
                        "name": f"{t.name}第{names.ORDINALS[k % 10]}联村组团",
                        "township_id": self.ids.org[t.code],
                    }
                )
                # A leader heads each team; staff are dealt round-robin among the teams.
                leader = self.township_cadres[t.code][k % 4]
                crew = [
                    staff[(k * (CADRES_PER_TEAM - 1) + j) % len(staff)]
                    for j in range(CADRES_PER_TEAM - 1)
                ]
                cadre_links.append([leader, *dict.fromkeys(c for c in crew if c != leader)])
                village_links.append(villages[k::n_teams])
        team_ids = bulk_insert(self.session, Team, team_rows)
        self.session.execute(
            insert(team_member),
            [
                {"team_id": team, "person_id": self.person_id(row)}
                for team, rows in zip(team_ids, cadre_links, strict=True)
                for row in rows
            ],
        )
        self.session.execute(
            insert(team_village),
            [
                {"team_id": team, "village_id": self.ids.org[code]}
                for team, codes in zip(team_ids, village_links, strict=True)
                for code in codes
            ],
        )


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: Role
    display_name: str
    scope_code: str | None = None
    person_row: int | None = None


DEMO_USERNAMES = (
    "admin",
    "assessor",
    "assessor-t01",
    "assessor-t02",
    "interviewer-t01",
    "cadre-t01",
    "cadre-v01",
    "member-01",
    "member-02",
)


def plan_logins(plan: CountyPlan, people: _PeopleWriter) -> list[DemoLogin]:
    """One account per role, scoped to the county, to townships, or linked to a person."""
    first, second = plan.townships[0], plan.townships[1]
    village = first.villages[0]
    village_rows = people.village_people[village.code]
    rows = people.rows
    plain = [i for i in village_rows if rows[i]["is_member"] and not rows[i]["is_cadre"]]
    logins = [
        DemoLogin(Role.ADMIN, "系统管理员"),
        DemoLogin(Role.ASSESSOR, "县纪委评估员", plan.code),
        DemoLogin(Role.ASSESSOR, f"{first.name}评估员", first.code),
        DemoLogin(Role.ASSESSOR, f"{second.name}评估员", second.code),
        DemoLogin(Role.INTERVIEWER, f"{first.name}访问员", first.code),
        DemoLogin(Role.CADRE, "", first.code, people.township_cadres[first.code][0]),
        DemoLogin(Role.CADRE, "", village.code, village_rows[0]),
        DemoLogin(Role.MEMBER, "", village.code, plain[0]),
        DemoLogin(Role.MEMBER, "", village.code, plain[1]),
    ]
    return logins


def _write_users(session: Session, plan: CountyPlan, ids: CountyIds, people: _PeopleWriter) -> None:
    # Hashing is deliberately slow (scrypt); every demo account of a role shares its password,
    # so hash once per role instead of once per account.
    hashes = {}
    for role, password in DEMO_PASSWORDS.items():
        prototype = User()
        prototype.set_password(password)
        hashes[role] = prototype.password_hash
    rows = []
    for username, login in zip(DEMO_USERNAMES, plan_logins(plan, people), strict=True):
        person = people.rows[login.person_row] if login.person_row is not None else None
        rows.append(
            {
                "username": username,
                "password_hash": hashes[login.role],
                "display_name": login.display_name
                or f"{person['name']}（{person['post'] or '党员'}）",
                "role": login.role,
                "scope_org_id": ids.org[login.scope_code] if login.scope_code else None,
                "person_id": people.person_id(login.person_row) if person else None,
            }
        )
    ids.users = len(bulk_insert(session, User, rows))


def _write_counts(session: Session, plan: CountyPlan, ids: CountyIds) -> None:
    rng = rng_for(plan.seed, "counts")
    rows = []
    for t in plan.townships:
        exposure = {
            CountKind.PETITIONS: t.adults,
            CountKind.VIOLATIONS: ids.people_by_township[t.code],
        }
        ratio = plan.effects.count_rate_ratio[t.code]
        for year, trend in zip(COUNT_YEARS, COUNT_TREND, strict=True):
            for kind, rate in COUNT_RATES.items():
                mean = rate * exposure[kind] / 1000 * ratio * trend
                rows.append(
                    {
                        "org_id": ids.org[t.code],
                        "period": year,
                        "kind": kind,
                        "count": int(rng.poisson(mean)),
                        "exposure": exposure[kind],
                    }
                )
    session.execute(insert(AdminCount), rows)
    ids.admin_counts = len(rows)
