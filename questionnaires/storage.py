"""The private storage of summary PDFs (``settings.STORAGES["summaries"]``).

A ``FileSystemStorage`` that makes no URLs: its files hold patient data and are only ever
read by the audited download views, never served from a URL of their own. A system check
refuses a location inside a folder that is served by URL (static files, a media root).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    def url(self, name):
        raise ValueError("summary PDFs have no URL; the audited download views serve them")


def _inside(path: str, folder: str) -> bool:
    """Whether one of the two folders holds the other (or they are the same)."""
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([path, folder]) in {path, folder}


def summary_storage_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """sdm.E001: the summary PDFs' folder overlaps a folder served by URL."""
    options = settings.STORAGES.get("summaries", {}).get("OPTIONS", {})
    location = options.get("location")
    if not location:
        return []
    served = [settings.STATIC_ROOT, *settings.STATICFILES_DIRS, settings.MEDIA_ROOT]
    return [
        checks.Error(
            f"STORAGES['summaries'] ({location}) overlaps {folder}, which is served by URL: "
            "summary PDFs hold patient data.",
            hint="Set SUMMARY_STORAGE_DIR to a private folder (docs/deploy.md, 4a).",
            id="sdm.E001",
        )
        for folder in served
        if folder and _inside(str(location), str(folder))
    ]
