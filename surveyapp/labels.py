"""Display names of the enumerations, translated; registered as template helpers."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from scoring.grades import NO_SPREAD, PENDING, TOO_FEW
from scoring.indices import EXEMPT, MISSING_COMPONENT, PUBLISHED
from surveyapp.models import OrgKind, Role, WaveStatus

ROLE_LABELS = {
    Role.ADMIN: _l("管理员"),
    Role.ASSESSOR: _l("测评人员"),
    Role.INTERVIEWER: _l("访问员"),
    Role.CADRE: _l("干部"),
    Role.MEMBER: _l("党员"),
}

KIND_LABELS = {
    OrgKind.COUNTY: _l("县"),
    OrgKind.TOWNSHIP: _l("乡镇"),
    OrgKind.STREET: _l("街道"),
    OrgKind.VILLAGE: _l("村"),
    OrgKind.COMMUNITY: _l("社区"),
    OrgKind.OFFICE: _l("机关"),
    OrgKind.SCHOOL: _l("学校"),
    OrgKind.HOSPITAL: _l("医院"),
    OrgKind.STATE_ENTERPRISE: _l("国有企业"),
    OrgKind.PRIVATE_ENTERPRISE: _l("民营企业"),
}

STATUS_LABELS = {
    WaveStatus.DRAFT: _l("草稿"),
    WaveStatus.OPEN: _l("进行中"),
    WaveStatus.CLOSED: _l("已结束"),
}

# What the scoring library says of an estimate (its own values are the Chinese words).
RESULT_LABELS = {
    PUBLISHED: _lp("result", "已发布"),
    EXEMPT: _lp("result", "免评"),
    MISSING_COMPONENT: _lp("result", "缺少成分"),
    PENDING: _lp("result", "待定"),
    TOO_FEW: _lp("result", "样本不足"),
    NO_SPREAD: _lp("result", "方差为零"),
}


def _label(table: dict, value: object) -> str:
    for key, label in table.items():
        if key == value:
            return str(label)
    return str(value)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        role_label=lambda role: _label(ROLE_LABELS, role),
        kind_label=lambda kind: _label(KIND_LABELS, kind),
        status_label=lambda status: _label(STATUS_LABELS, status),
        result_label=lambda status: _label(RESULT_LABELS, status),
    )
