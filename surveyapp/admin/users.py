"""Admin pages for accounts: list, create, change role and scope, reset a password."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from surveyapp.admin import bp
from surveyapp.auth.access import current_user, role_required
from surveyapp.labels import ROLE_LABELS
from surveyapp.models import Role, User
from surveyapp.services import users

USER_ERRORS = {
    "scope_required": ("scope", _l("测评人员和访问员必须填写范围组织编码。")),
    "unknown_scope": ("scope", _l("范围组织编码不存在。")),
    "person_required": ("person", _l("干部和党员账号必须填写人员编码。")),
    "unknown_person": ("person", _l("人员编码不存在。")),
    "person_taken": ("person", _l("这个人员已有账号。")),
    "duplicate_username": ("username", _l("用户名已被使用。")),
    "password_short": ("password", _l("密码至少 8 位。")),
    "own_admin": ("role", _l("不能取消自己的管理员身份或停用自己的账号。")),
}


class AccessForm(FlaskForm):
    display_name = StringField(_l("显示名称"), validators=[
        DataRequired(_l("请填写显示名称")), Length(max=100)])
    role = SelectField(_l("角色"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    scope = StringField(_l("范围组织编码"), validators=[Optional(), Length(max=32)],
                        description=_l("测评人员、访问员：可查看该组织及其下级"))
    person = StringField(_l("人员编码"), validators=[Optional(), Length(max=32)],
                         description=_l("干部、党员：账号对应的人员"))


class UserNewForm(AccessForm):
    username = StringField(_l("用户名"), validators=[
        DataRequired(_l("请填写用户名")), Length(max=64),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", message=_l("用户名只能包含字母、数字、.、_、-"))])
    password = PasswordField(_l("初始密码"), validators=[
        DataRequired(_l("请填写初始密码")), Length(min=8, max=128, message=_l("密码至少 8 位"))])


class UserEditForm(AccessForm):
    is_active = BooleanField(_l("启用"))


class PasswordForm(FlaskForm):
    password = PasswordField(_l("新密码"), validators=[
        DataRequired(_l("请填写新密码")), Length(min=8, max=128, message=_l("密码至少 8 位"))])


def _user_or_404(username: str) -> User:
    user = users.get_user(username)
    if user is None:
        abort(404, description=_("没有找到这个账号。"))
    return user


def _show(form: FlaskForm, error: users.UserError) -> None:
    name, message = USER_ERRORS[error.reason]
    field = form[name] if name in form else form.role
    field.errors = [*field.errors, str(message)]


def _access(form: AccessForm, user: User | None = None) -> users.Access:
    return users.resolve_access(Role(form.role.data), (form.scope.data or "").strip() or None,
                                (form.person.data or "").strip() or None, user=user)


@bp.route("/users")
@role_required(Role.ADMIN)
def users_index() -> str:
    return render_template("admin/users.html", users=users.list_users())


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_new() -> object:
    form = UserNewForm()
    if form.validate_on_submit():
        try:
            user = users.create_user(form.username.data.strip(), form.display_name.data.strip(),
                                     form.password.data, _access(form), by=current_user())
        except users.UserError as error:
            _show(form, error)
        else:
            flash(_("已创建账号 %(name)s。", name=user.username))
            return redirect(url_for("admin.users_index"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<username>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(username: str) -> object:
    user = _user_or_404(username)
    form = UserEditForm(obj=user, role=user.role.value,
                        scope=user.scope_org.code if user.scope_org else "",
                        person=user.person.code if user.person else "")
    password_form = PasswordForm(formdata=None)
    if form.validate_on_submit():
        try:
            users.update_user(user, form.display_name.data.strip(), _access(form, user),
                              form.is_active.data, by=current_user())
        except users.UserError as error:
            _show(form, error)
        else:
            flash(_("已保存。"))
            return redirect(url_for("admin.users_index"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=user,
                           password_form=password_form), status


@bp.route("/users/<username>/password", methods=["POST"])
@role_required(Role.ADMIN)
def user_password(username: str) -> object:
    user = _user_or_404(username)
    form = PasswordForm()
    if form.validate_on_submit():
        users.reset_password(user, form.password.data, by=current_user())
        flash(_("已重设 %(name)s 的密码。", name=user.username))
        return redirect(url_for("admin.users_index"))
    edit = UserEditForm(formdata=None, obj=user, role=user.role.value,
                        scope=user.scope_org.code if user.scope_org else "",
                        person=user.person.code if user.person else "")
    return render_template("admin/user_form.html", form=edit, user=user,
                           password_form=form), 400
