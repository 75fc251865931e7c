"""Public pages: a village's poster link and the form runner every entry point hands off to.

Routes (no URL prefix):

- ``GET /s/<wave>/<village>``: the start page of a wave at a village; resumes a live draft held
  in this browser. ``POST`` (the start button) begins the draft and redirects to the runner.
- ``GET /f/<draft id>``: on to the draft's furthest section. ``GET|POST /f/<draft id>/<n>``:
  section n (0-based). Buttons post ``action`` = ``back``, ``next`` or ``submit``.

The runner finds the draft by its secret key in the cookie ``draft``, whose path is
``/f/<draft id>``: each draft has its own cookie, so one browser can hold several drafts (a
member rating several peers) without mixing them. Entry points start a draft with
``surveyapp.services.submissions.begin_draft`` and hand over with
``surveyapp.public.runner.form_redirect(draft, key)``. A successful submit shows the thank-you
page; a retried submit (double tap) finds the submission receipt and shows it again.

Cookies: ``draft`` (7 days, the draft's key), ``resume`` (the same key under ``/s/<wave>/
<village>``, so reopening a poster link resumes), ``browser`` (a random per-browser id whose hash
refuses a second poster submission at a village). None is ever stored with a response.
"""

from flask import Blueprint

bp = Blueprint("public", __name__)

from surveyapp.public import views  # noqa: E402,F401  (routes register on import)
