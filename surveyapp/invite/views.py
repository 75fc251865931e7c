from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from surveyapp.extensions import db
from surveyapp.invite import bp
from surveyapp.models import Org
from surveyapp.public.runner import form_redirect
from surveyapp.services import invitations, submissions
from surveyapp.services.waves import WaveNotOpen


def _notice(title: str, message: str, status: int) -> tuple[str, int]:
    return render_template("public/notice.html", title=title, message=message), status


@bp.route("/<token>", methods=["GET", "POST"])
def redeem(token: str) -> object:
    try:
        invitation = invitations.find_invitation(token)
    except invitations.TokenUnknown:
        return _notice(_("链接无效"), _("没有找到这张评价条，请核对二维码或链接。"), 404)
    except invitations.TokenUsed:
        return _notice(_("已经评价过"), _("这张评价条已经使用过，每张只能评价一次。感谢您的参与！"),
                       410)
    except (invitations.TokenExpired, WaveNotOpen):
        return _notice(_("评价条已失效"), _("这张评价条已过期或本次评价没有开放。"), 410)
    if request.method == "POST":
        village = db.session.get(Org, invitation.org_id)
        draft, key = submissions.begin_draft(invitation.wave, village, context={
            "recruitment": "household_slip", "mode": "self",
            "invitation_id": invitation.id, "subject_person_id": invitation.subject_person_id,
        })
        return form_redirect(draft, key)
    return render_template("invite/start.html", **invitations.slip_context(invitation))
