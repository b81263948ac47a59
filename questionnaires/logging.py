"""Logging filters that keep patient data out of logs."""

import logging
import re

# Patient URLs carry the invitation token: /p/<token>/...
_PATIENT_PATH = re.compile(r"/p/[A-Za-z0-9_\-]+")


class RedactPatientUrls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _PATIENT_PATH.sub("/p/<redacted>", arg) if isinstance(arg, str) else arg
                for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = _PATIENT_PATH.sub("/p/<redacted>", record.msg)
        return True
