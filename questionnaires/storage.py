"""The private storage of summary PDFs (``settings.STORAGES["summaries"]``).

A ``FileSystemStorage`` that makes no URLs: its files hold patient data and are only ever
read by the audited download views, never served from a URL of their own.
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    def url(self, name):
        raise ValueError("summary PDFs have no URL; the audited download views serve them")
