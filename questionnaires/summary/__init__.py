"""The clinician and patient summaries.

``explain`` (sentences from the weighing snapshot), ``flags`` (red-flag rules as data),
``context`` (one fetch, then frozen dataclasses), ``charts`` (server-made SVG), ``render``
(HTML and PDF within a time limit). Storage and background rendering are in
``services.summaries`` and ``tasks``; the pages in ``views.summary``.
"""
