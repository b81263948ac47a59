"""Gunicorn settings for SDM: ``gunicorn -c python:sdm.gunicorn_conf sdm.wsgi``.

Every value can be overridden on the command line or with ``GUNICORN_CMD_ARGS``; see
docs/deploy.md.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Tokens never reach gunicorn's own logs (access and error): see sdm/gunicorn_logging.py.
logger_class = "sdm.gunicorn_logging.RedactingLogger"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
# Only the TLS proxy in front of gunicorn may set X-Forwarded-*; list its address. Empty
# trusts nobody (gunicorn's default trusts 127.0.0.1, i.e. anything else on the host).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
# A render or a slow client never holds a worker for ever.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Gunicorn 24+ opens a control socket under ~/.gunicorn shared by every instance of the
# user; nothing here uses it.
control_socket_disable = True
