"""Error pages in the user's language, and domain errors that views turn into them."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from surveyapp.extensions import db

TITLES = {
    400: _l("请求有误"),
    403: _l("没有权限"),
    404: _l("页面不存在"),
    405: _l("请求方式不支持"),
    413: _l("提交内容过大"),
    429: _l("请求过于频繁"),
    500: _l("系统出错"),
}

DEFAULT_MESSAGES = {
    400: _l("提交的内容有误，请返回检查后重试。"),
    403: _l("您没有权限访问此页面。"),
    404: _l("您要找的页面不存在，可能链接有误或已被删除。"),
    405: _l("不支持这种请求方式。"),
    413: _l("提交的内容过大。"),
    429: _l("请求过于频繁，请稍后再试。"),
    500: _l("系统暂时出现问题，我们已记录，请稍后再试。"),
}


def _render(code: int, description: str | None = None) -> tuple[str, int]:
    title = str(TITLES.get(code, _("出错了")))
    message = description or str(DEFAULT_MESSAGES.get(code, _("出错了。")))
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return _render(400, _("页面已过期或表单无效，请刷新页面后重新提交。"))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        # Werkzeug's stock English descriptions are replaced by our own; a description a view
        # passed to abort() is already in the user's language.
        custom = error.description if error.description != type(error).description else None
        return _render(code, custom)

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> tuple[str, int]:
        db.session.rollback()
        app.logger.exception("unhandled error")
        return _render(500)
