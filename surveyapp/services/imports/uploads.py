"""Files uploaded on the import page, kept between the preview and the apply.

The admin sees the dry run first; the file waits in ``instance/imports/`` under a random
token and is read again (and checked again) when they apply it. Files older than a day go.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
MAX_AGE_SECONDS = 24 * 3600


class UploadGone(LookupError):
    """The token is malformed, or its file was applied, discarded or expired."""


def _folder(instance_path: str) -> Path:
    folder = Path(instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_upload(instance_path: str, kind: str, filename: str, data: bytes) -> str:
    folder = _folder(instance_path)
    cutoff = time.time() - MAX_AGE_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(32)
    (folder / f"{token}.data").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"kind": kind, "filename": filename}),
                                          encoding="utf-8")
    return token


def load_upload(instance_path: str, token: str) -> tuple[str, str, bytes]:
    """(kind, filename, data) of an upload."""
    if not TOKEN.match(token or ""):
        raise UploadGone(token)
    folder = _folder(instance_path)
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        return meta["kind"], meta["filename"], (folder / f"{token}.data").read_bytes()
    except (OSError, ValueError, KeyError):
        raise UploadGone(token) from None


def discard_upload(instance_path: str, token: str) -> None:
    if TOKEN.match(token or ""):
        for suffix in (".data", ".json"):
            (_folder(instance_path) / f"{token}{suffix}").unlink(missing_ok=True)
