"""Gunicorn's logger with the invitation token taken out of access and error lines.

Gunicorn writes its own access log (request line, referrer, any header) and error log
("Error handling request /p/<token>/…") outside Django's logging configuration; both go
through the same redaction filter as Django's records. Configured in
``sdm/gunicorn_conf.py``.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from questionnaires.logging import RedactPatientUrls


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactPatientUrls) for f in log.filters):
                log.addFilter(RedactPatientUrls())
            for handler in log.handlers:
                if not any(isinstance(f, RedactPatientUrls) for f in handler.filters):
                    handler.addFilter(RedactPatientUrls())
