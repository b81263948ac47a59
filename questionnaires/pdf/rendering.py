"""HTML → PDF with WeasyPrint: safe resource loading and per-process resources.

Shared by every PDF the project makes (the invitation letter, the clinician summary).

* One ``FontConfiguration`` and one parsed ``CSS`` per stylesheet per process, built lazily on
  first use (never at import: a worker that forks after importing WeasyPrint can crash, and
  scanning the system fonts costs time once, not on every render).
* The URL fetcher serves only the project's static files, read from disk, and ``data:`` URIs
  (self-contained, nothing is fetched). Every other URL (http, https, file paths outside the
  static files, …) is refused, so a template or stored text can never make the renderer read
  local files or call the network.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

# Relative URLs in rendered HTML resolve against this, so "{% static 'x.css' %}" (a path such as
# "/static/x.css") becomes "file:///static/x.css", which the fetcher maps to the static file.
PDF_BASE_URL = "file:///"


class PdfResourceRefused(ValueError):
    """The renderer asked for a URL that is not one of the project's static files."""


def static_file_path(url: str) -> str | None:
    """The file on disk behind a static URL, or None when the URL is not a static file."""
    name = _static_name(url)
    return None if name is None else static_name_path(name)


def static_name_path(name: str) -> str | None:
    """The file on disk for a static file name such as "css/print-letter.css", or None."""
    parts = PurePosixPath(name).parts
    if not name or name.startswith("/") or ".." in parts or "\\" in name:
        return None
    try:
        found = finders.find(name)
        if found:
            return str(found)
        # Collected files (hashed names from the manifest storage) live in STATIC_ROOT.
        if hasattr(staticfiles_storage, "path") and staticfiles_storage.exists(name):
            return staticfiles_storage.path(name)
    except (SuspiciousFileOperation, NotImplementedError):
        return None
    return None


def _static_name(url: str) -> str | None:
    static_url = settings.STATIC_URL or "/static/"
    without_query = url.split("#", 1)[0].split("?", 1)[0]
    if static_url.startswith(("http://", "https://")):
        if without_query.startswith(static_url):
            return unquote(without_query[len(static_url) :])
        return None
    parts = urlsplit(without_query)
    prefix = "/" + static_url.strip("/") + "/"
    if parts.scheme == "file" and parts.netloc == "" and parts.path.startswith(prefix):
        return unquote(parts.path[len(prefix) :])
    return None


@functools.cache
def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyURLFetcher(URLFetcher):
        def __init__(self):
            # No redirects, nothing but data: through urllib; static files are read below.
            super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = static_file_path(url)
            if path is None:
                # Say which kind of URL, never the URL itself (it could carry a secret).
                scheme = urlsplit(url).scheme or "relative"
                raise PdfResourceRefused(f"PDF resource refused ({scheme} URL outside static)")
            with open(path, "rb") as static_file:
                body = static_file.read()
            return URLFetcherResponse(url, body=body, headers=_content_type_header(path))

    return StaticOnlyURLFetcher


_CONTENT_TYPES = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}


def _content_type_header(path: str) -> dict[str, str]:
    content_type = _CONTENT_TYPES.get(PurePosixPath(path).suffix.lower())
    return {"Content-Type": content_type} if content_type else {}


def static_only_url_fetcher():
    """A WeasyPrint URL fetcher that serves only static files and ``data:`` URIs."""
    return _fetcher_class()()


class _Resources:
    """The per-process WeasyPrint objects that are expensive to build."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._font_config: FontConfiguration | None = None
        self._stylesheets: dict[str, CSS] = {}
        self.image_cache: dict = {}

    def font_config(self) -> FontConfiguration:
        with self._lock:
            if self._font_config is None:
                from weasyprint.text.fonts import FontConfiguration

                self._font_config = FontConfiguration()
            return self._font_config

    def stylesheet(self, name: str) -> CSS:
        """The parsed static stylesheet ``name`` (e.g. "css/print-letter.css"), parsed once."""
        font_config = self.font_config()
        with self._lock:
            if name not in self._stylesheets:
                from weasyprint import CSS

                path = static_name_path(name)
                if not path:
                    raise FileNotFoundError(f"Static stylesheet not found: {name}")
                self._stylesheets[name] = CSS(
                    filename=str(path),
                    font_config=font_config,
                    url_fetcher=static_only_url_fetcher(),
                )
            return self._stylesheets[name]


_resources = _Resources()


# A page whose content ends above this share of its height looks empty and wastes paper.
MIN_PAGE_FILL = 0.25
_CONTENT_BOXES = ("LineBox", "BlockReplacedBox", "InlineReplacedBox", "TableRowBox")


def pdf_render(
    *,
    html: str,
    stylesheets: Sequence[str] = (),
    tagged: bool = True,
    balance_classes: Sequence[str] = (),
) -> bytes:
    """Render a complete HTML document to PDF bytes (``pdf_layout``, then written out)."""
    document = pdf_layout(
        html=html, stylesheets=stylesheets, tagged=tagged, balance_classes=balance_classes
    )
    return document.write_pdf(pdf_tags=tagged)


def pdf_layout(
    *,
    html: str,
    stylesheets: Sequence[str] = (),
    tagged: bool = True,
    balance_classes: Sequence[str] = (),
):
    """Lay out a complete HTML document: a WeasyPrint ``Document`` ready to write.

    ``stylesheets`` are static file names, parsed once per process. ``tagged`` makes a tagged
    PDF (structure for screen readers). The HTML should carry ``<html lang>`` and ``<title>``.

    ``balance_classes``: when a page of the first layout is filled less than
    ``MIN_PAGE_FILL`` (typically a last page holding a few lines), the document is laid out
    again with each of these classes added to ``<body>`` in turn (the stylesheet makes them
    a little tighter or looser), and the first layout with no such page is kept. When none
    has, the layout whose emptiest page is fullest wins.
    """
    from weasyprint import HTML

    sheets = [_resources.stylesheet(name) for name in stylesheets]

    def layout(source: str):
        document = HTML(string=source, base_url=PDF_BASE_URL, url_fetcher=static_only_url_fetcher())
        return document.render(
            stylesheets=sheets,
            font_config=_resources.font_config(),
            cache=_resources.image_cache,
            pdf_tags=tagged,
        )

    best = layout(html)
    best_fill = min(page_fills(best))
    for class_name in balance_classes:
        if best_fill >= MIN_PAGE_FILL:
            break
        candidate = layout(_with_body_class(html, class_name))
        fill = min(page_fills(candidate))
        if fill > best_fill:
            best, best_fill = candidate, fill
    return best


def _with_body_class(html: str, class_name: str) -> str:
    if '<body class="' in html:
        return html.replace('<body class="', f'<body class="{class_name} ', 1)
    return html.replace("<body", f'<body class="{class_name}"', 1)


def page_fills(document) -> list[float]:
    """For each laid-out page, how far down its content area the content reaches (0–1).

    Measured on the layout boxes (lines, images, table rows) of the page's own content;
    the running header and footer in the page margins do not count.
    """
    fills = []
    for page in document.pages:
        page_box = page._page_box  # WeasyPrint's layout tree: no public API gives it
        top = page_box.margin_top + page_box.padding_top + page_box.border_top_width
        height = page_box.height or 1
        bottom = top
        for child in page_box.children:
            if type(child).__name__ == "MarginBox":
                continue
            for box in child.descendants():
                if type(box).__name__ in _CONTENT_BOXES and box.position_y is not None:
                    bottom = max(bottom, box.position_y + box.margin_height())
        fills.append(max(0.0, min(1.0, (bottom - top) / height)))
    return fills or [0.0]
