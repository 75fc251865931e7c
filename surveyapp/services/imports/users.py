"""Import kind ``users``: accounts with their roles and scopes.

The initial password is used only when an account is created, so re-importing the same file
never resets anyone's password; resets are done one by one on the admin page.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.extensions import db
from surveyapp.models import Org, Person, Role, User
from surveyapp.services.imports import common as c
from surveyapp.services.users import MIN_PASSWORD_LENGTH, PERSON_ROLES, SCOPED_ROLES

ROLE_NAMES = {
    "管理员": Role.ADMIN,
    "测评人员": Role.ASSESSOR,
    "访问员": Role.INTERVIEWER,
    "干部": Role.CADRE,
    "党员": Role.MEMBER,
}
ROLE_TEXT = {role: name for name, role in ROLE_NAMES.items()}
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
FIELDS = ("username", "display_name", "role", "scope_org_id", "person_id", "is_active")


def username(text: str) -> str:
    if not USERNAME.match(text):
        raise c.CellError(_("用户名“%(value)s”无效：只能用字母、数字、.、_、-", value=text))
    return text


class UsersKind(c.Kind):
    name = "users"
    title = _l("账号")
    model = User
    value_keys = {"scope": "scope_org_id", "person": "person_id"}
    columns = [
        c.Column("username", "用户名", username, required=True, example="assessor-t09"),
        c.Column("display_name", "显示名称", c.text_of(100), required=True,
                 example="青山镇评估员"),
        c.Column("role", "角色", c.choice(ROLE_NAMES), required=True, example="测评人员",
                 help="、".join(ROLE_NAMES)),
        c.Column("scope", "范围组织编码", c.code, example="QY01",
                 help=_l("测评人员、访问员必填：可查看该组织及其下级")),
        c.Column("person", "人员编码", c.code, help=_l("干部、党员必填：账号对应的人员")),
        c.Column("password", "初始密码", c.text_of(128), example="请改成至少8位的密码",
                 help=_l("仅在新建账号时使用，至少 8 位；已有账号不会被改密码")),
        c.Column("is_active", "是否启用", c.yes_no, example="是", help=_l("不填视为“是”")),
    ]

    def records(self, rows: list[c.Row], errors: c.Errors) -> dict[Any, tuple[int, dict]]:
        col = {column.key: column for column in self.columns}
        c.check_duplicates(rows, col["username"], lambda r: r.values["username"], errors)
        c.check_duplicates(rows, col["person"], lambda r: r.values["person"], errors)
        orgs = c.org_index()
        people = dict(db.session.execute(sa.select(Person.code, Person.id)).all())
        holders = dict(db.session.execute(
            sa.select(User.person_id, User.username).where(User.person_id.is_not(None))).all())
        stored = set(db.session.scalars(sa.select(User.username)))
        records: dict[Any, tuple[int, dict]] = {}
        for row in rows:
            v = row.values
            if v["username"] is None or v["role"] is None:
                continue
            scope_id = person_id = None
            if v["role"] in SCOPED_ROLES and v["scope"] is None:
                errors.add(row.number, col["scope"], _("测评人员和访问员必须填写范围组织"))
                continue
            if v["scope"] is not None:
                if v["scope"] not in orgs:
                    errors.add(row.number, col["scope"],
                               _("组织编码 %(code)s 不存在", code=v["scope"]))
                    continue
                scope_id = orgs[v["scope"]][0]
            if v["role"] in PERSON_ROLES and v["person"] is None:
                errors.add(row.number, col["person"], _("干部和党员账号必须填写人员编码"))
                continue
            if v["person"] is not None:
                person_id = people.get(v["person"])
                if person_id is None:
                    errors.add(row.number, col["person"],
                               _("人员编码 %(code)s 不存在", code=v["person"]))
                    continue
                holder = holders.get(person_id)
                if holder is not None and holder != v["username"]:
                    errors.add(row.number, col["person"],
                               _("人员 %(code)s 已有账号 %(user)s", code=v["person"], user=holder))
                    continue
            if v["username"] not in stored:
                if v["password"] is None:
                    errors.add(row.number, col["password"], _("新账号必须填写初始密码"))
                    continue
                if len(v["password"]) < MIN_PASSWORD_LENGTH:
                    errors.add(row.number, col["password"],
                               _("密码至少 %(n)s 位", n=MIN_PASSWORD_LENGTH))
                    continue
            values = {"username": v["username"], "display_name": v["display_name"],
                      "role": v["role"], "scope_org_id": scope_id, "person_id": person_id,
                      "is_active": True if v["is_active"] is None else v["is_active"]}
            records[v["username"]] = (row.number, values)
            if v["username"] not in stored:
                self._passwords[v["username"]] = v["password"]
        return records

    def __init__(self) -> None:
        self._passwords: dict[str, str] = {}

    def existing(self) -> dict[Any, tuple[int, dict]]:
        columns = [User.id, *(getattr(User, k) for k in FIELDS)]
        result = {}
        for row in db.session.execute(sa.select(*columns)):
            values = row._asdict()
            result[values["username"]] = (values.pop("id"), values)
        return result

    def apply(self, diff: c.Diff) -> None:
        hashes: dict[str, str] = {}
        for values in diff.adds:
            password = self._passwords[values["username"]]
            if password not in hashes:  # scrypt is slow by design; hash each password once
                prototype = User()
                prototype.set_password(password)
                hashes[password] = prototype.password_hash
            values["password_hash"] = hashes[password]
        super().apply(diff)

    def export_rows(self) -> list[dict[str, str]]:
        orgs = dict(db.session.execute(sa.select(Org.id, Org.code)).all())
        people = dict(db.session.execute(sa.select(Person.id, Person.code)).all())
        return [{"username": v["username"], "display_name": v["display_name"],
                 "role": ROLE_TEXT[v["role"]], "scope": orgs.get(v["scope_org_id"], ""),
                 "person": people.get(v["person_id"], ""), "password": "",
                 "is_active": c.yes_no_text(v["is_active"])}
                for _id, v in sorted(self.existing().values(), key=lambda r: r[1]["username"])]
