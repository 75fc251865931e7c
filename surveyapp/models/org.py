"""The organisation tree: county → township/street → village/community, plus clean units."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.models.base import Base, UTCDateTime, str_enum, utcnow


class OrgKind(enum.StrEnum):
    COUNTY = "county"
    TOWNSHIP = "township"  # 乡镇
    STREET = "street"  # 街道
    VILLAGE = "village"  # 村
    COMMUNITY = "community"  # 社区
    OFFICE = "office"  # 机关
    SCHOOL = "school"
    HOSPITAL = "hospital"
    STATE_ENTERPRISE = "state_enterprise"  # 国企
    PRIVATE_ENTERPRISE = "private_enterprise"  # 民营企业

    @property
    def level(self) -> str:
        """The tier of the tree the kind sits on, for rules that treat 乡镇 and 街道 alike."""
        if self is OrgKind.COUNTY:
            return "county"
        if self in (OrgKind.TOWNSHIP, OrgKind.STREET):
            return "township"
        if self in (OrgKind.VILLAGE, OrgKind.COMMUNITY):
            return "village"
        return "unit"


TOWNSHIP_KINDS = (OrgKind.TOWNSHIP, OrgKind.STREET)
VILLAGE_KINDS = (OrgKind.VILLAGE, OrgKind.COMMUNITY)
UNIT_KINDS = (
    OrgKind.OFFICE,
    OrgKind.SCHOOL,
    OrgKind.HOSPITAL,
    OrgKind.STATE_ENTERPRISE,
    OrgKind.PRIVATE_ENTERPRISE,
)


class Org(Base):
    __tablename__ = "org"
    __table_args__ = (
        CheckConstraint("adults >= 0", name="adults_not_negative"),
        CheckConstraint("households >= 0", name="households_not_negative"),
        CheckConstraint("party_members >= 0", name="party_members_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    # Population figures used for weighting; None where the county has not supplied them.
    adults: Mapped[int | None]
    households: Mapped[int | None]
    party_members: Mapped[int | None]
    # Retiring keeps the row, so responses and reports of past waves still resolve.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parent: Mapped[Org | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Org]] = relationship(back_populates="parent", order_by="Org.code")
    population: Mapped[list[PopulationCell]] = relationship(
        back_populates="org", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Org {self.code} {self.kind.value}>"


class PopulationCell(Base):
    """Adults of a village by age group and sex: the margins that responses are raked to."""

    __tablename__ = "population_cell"
    __table_args__ = (
        UniqueConstraint("org_id", "age_group", "sex"),
        CheckConstraint("adults >= 0", name="adults_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id", ondelete="CASCADE"), index=True)
    age_group: Mapped[str] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(8))
    adults: Mapped[int]

    org: Mapped[Org] = relationship(back_populates="population")
