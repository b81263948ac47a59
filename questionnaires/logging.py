"""Logging filters that keep patient data out of logs."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

# Patient URLs carry the invitation token: /p/<token>/... Anything up to the next slash,
# query, quote or space is the token (also when percent-encoded or malformed).
_PATIENT_PATH = re.compile(r"/p/[^/\s?#\"'<>]+")
REDACTED = "/p/<redacted>"


def redact(value: object) -> object:
    return _PATIENT_PATH.sub(REDACTED, value) if isinstance(value, str) else value


class RedactPatientUrls(logging.Filter):
    """Drops the token from a record's message, its arguments and its traceback text.

    Handles both argument styles: a tuple (Django, most libraries) and a mapping
    (gunicorn's access log passes its atoms as one dict).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, Mapping):
            record.args = {key: redact(value) for key, value in args.items()}
        elif isinstance(args, tuple):
            record.args = tuple(redact(arg) for arg in args)
        elif args:
            record.args = (redact(args),)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        elif record.msg is not None and not isinstance(record.msg, str):
            record.msg = redact(str(record.msg))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
