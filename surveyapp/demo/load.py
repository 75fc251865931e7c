"""`load_demo_county`: the whole synthetic county in one call, for `flask demo load` and tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveyapp.demo.county import write_county
from surveyapp.demo.plan import PlantedEffects, plan_county
from surveyapp.demo.records import write_records
from surveyapp.demo.waves import stored_instruments, write_waves
from surveyapp.models import AuditEntry, Org


class CountyNotEmpty(ValueError):
    """The database already holds organisations; loading would mix two counties."""


@dataclass(frozen=True, slots=True)
class DemoSummary:
    seed: int
    size: str
    townships: int
    villages: int
    units: int
    households: int
    persons: int
    party_members: int
    users: int
    admin_counts: int
    effects: PlantedEffects
    waves: int = 0
    responses: int = 0
    # instruments answered, and stored instruments that no demo respondent matches
    instruments: tuple[str, ...] = ()
    unused_instruments: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        """One line for the command line."""
        return (
            f"演示县已载入（seed={self.seed}, size={self.size}）：{self.townships} 个乡镇/街道，"
            f"{self.villages} 个村/社区，{self.units} 个清廉单元，{self.households} 户，"
            f"{self.party_members} 名党员，{self.users} 个账号，{self.waves} 轮调查，"
            f"{self.responses} 份答卷"
        )


def count_orgs(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Org)) or 0


def load_demo_county(
    session: Session, *, seed: int = 1, size: str = "small", questionnaires_dir: str | None = None
) -> DemoSummary:
    """Write the deterministic demo county ``(seed, size)`` into an empty database.

    The same seed and size give the same organisations, people, accounts, counts and answers.
    Rows are flushed, not committed: the caller owns the transaction.

    Parameters
    ----------
    session
        Where to write; its database must hold no organisations yet.
    seed
        0 ≤ seed < 2**32.
    size
        ``"small"`` (2 townships, 7 villages, for tests) or ``"full"`` (14 townships,
        about 220 villages).
    questionnaires_dir
        Where the instrument files are (default: the repository's ``questionnaires/``);
        versions not yet stored are stored, and the newest version of each is answered.

    Returns
    -------
    DemoSummary
        What was written, with the planted effects the responses were generated from.

    Raises
    ------
    ValueError
        A bad seed or size; `CountyNotEmpty` when organisations already exist;
        `QuestionnairesBroken` when the questionnaire files fail their check.
    """
    plan = plan_county(seed, size)
    existing = count_orgs(session)
    if existing:
        raise CountyNotEmpty(
            f"the database already holds {existing} organisations; the demo county loads "
            "only into an empty database"
        )
    versions = stored_instruments(session, questionnaires_dir)
    ids = write_county(session, plan)
    waves = write_waves(session, plan, ids, versions)
    write_records(session, plan, ids, questionnaires_dir)
    session.add(
        AuditEntry(
            action="demo.load",
            target_type="org",
            target=plan.code,
            detail={"seed": seed, "size": size},
        )
    )
    session.flush()
    return DemoSummary(
        seed=seed,
        size=size,
        townships=len(plan.townships),
        villages=len(plan.villages()),
        units=len(plan.county_units) + sum(len(t.units) for t in plan.townships),
        households=sum(len(h) for h in ids.households.values()),
        persons=ids.persons,
        party_members=ids.party_members,
        users=ids.users,
        admin_counts=ids.admin_counts,
        effects=plan.effects,
        waves=waves.waves,
        responses=waves.responses,
        instruments=waves.instruments,
        unused_instruments=waves.unused,
    )
