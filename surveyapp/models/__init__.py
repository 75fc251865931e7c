"""All models, imported here so Alembic and the app see every table."""

from surveyapp.models.assessment_records import Exemption, PointsEntry, PointsKind, VetoEvent
from surveyapp.models.audit import AuditEntry
from surveyapp.models.base import Base
from surveyapp.models.collection import (
    Draft,
    DurationSample,
    Eligibility,
    Outcome,
    Participation,
    RecentSubmission,
    SampledHousehold,
    SubmittedBrowser,
)
from surveyapp.models.counts import AdminCount, CountKind
from surveyapp.models.org import (
    TOWNSHIP_KINDS,
    UNIT_KINDS,
    VILLAGE_KINDS,
    Org,
    OrgKind,
    PopulationCell,
)
from surveyapp.models.people import GridBranch, Household, MemberStatus, Person, Team
from surveyapp.models.questionnaire import QuestionnaireVersion
from surveyapp.models.receipt import SubmissionReceipt
from surveyapp.models.response import DurationBucket, Mode, Recruitment, Response
from surveyapp.models.user import Role, User
from surveyapp.models.wave import Invitation, Wave, WaveStatus

__all__ = [
    "Exemption", "PointsEntry", "PointsKind", "VetoEvent",
    "DurationSample", "Draft", "Eligibility", "Outcome", "Participation", "RecentSubmission",
    "SampledHousehold", "SubmittedBrowser",
    "AdminCount", "AuditEntry", "Base", "CountKind", "DurationBucket", "GridBranch",
    "Household", "Invitation", "MemberStatus", "Mode", "Org", "OrgKind", "Person",
    "PopulationCell", "QuestionnaireVersion", "Recruitment", "Response", "Role", "TOWNSHIP_KINDS",
    "SubmissionReceipt", "Team", "UNIT_KINDS", "User", "VILLAGE_KINDS", "Wave", "WaveStatus",
]
