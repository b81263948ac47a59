"""The shared PDF renderer: static files only, nothing from the network or the disk elsewhere."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pypdf
import pytest
from django.conf import settings

from questionnaires.pdf import rendering as pdf
from questionnaires.pdf.rendering import PdfResourceRefused, pdf_render, static_file_path

STATIC_CSS = settings.BASE_DIR / "static" / "css" / "print-letter.css"


def _document(body: str, *, head: str = "") -> str:
    return (
        f'<!doctype html><html lang="en"><head><title>T</title>{head}</head>'
        f"<body>{body}</body></html>"
    )


def test_static_urls_map_to_the_static_files_on_disk():
    assert static_file_path("file:///static/css/print-letter.css") == str(STATIC_CSS)
    assert static_file_path("file:///static/css/print-letter.css?v=2#x") == str(STATIC_CSS)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///static/../sdm/settings.py",
        "file:///static/%2E%2E/sdm/settings.py",
        "file:///static/css/missing.css",
        "file://otherhost/static/css/print-letter.css",
        "http://127.0.0.1:8000/static/css/print-letter.css",
        "https://example.org/static/css/print-letter.css",
        "ftp://example.org/static/css/print-letter.css",
    ],
)
def test_everything_else_is_not_a_static_file(url):
    assert static_file_path(url) is None
    with pytest.raises(PdfResourceRefused):
        pdf.static_only_url_fetcher().fetch(url)


def test_the_refusal_names_the_kind_of_url_not_the_url():
    secret = "s3cr3t-token-value"
    with pytest.raises(PdfResourceRefused) as refused:
        pdf.static_only_url_fetcher().fetch(f"https://example.org/p/{secret}/")
    assert secret not in str(refused.value)
    assert "https" in str(refused.value)


def test_data_uris_and_static_files_are_served():
    fetcher = pdf.static_only_url_fetcher()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    response = fetcher.fetch("file:///static/css/print-letter.css")
    assert response.read() == STATIC_CSS.read_bytes()
    assert response.content_type == "text/css"


class _CountingHandler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        type(self).hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_rendering_never_calls_the_network():
    server = HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        html = _document(
            f'<img src="{base}/image.png"><p>Hello</p>',
            head=f'<link rel="stylesheet" href="{base}/style.css">',
        )
        # Control: WeasyPrint's own fetcher does call this server for the same document.
        from weasyprint import HTML

        HTML(string=html).write_pdf()
        control_hits = len(_CountingHandler.hits)
        _CountingHandler.hits.clear()
        document = pdf_render(html=html)
    finally:
        server.shutdown()
        server.server_close()
    assert control_hits == 2
    assert _CountingHandler.hits == []
    assert "Hello" in pypdf.PdfReader(io.BytesIO(document)).pages[0].extract_text()


def test_a_linked_static_stylesheet_applies(settings, tmp_path):
    (tmp_path / "a5.css").write_text("@page { size: A5 }")
    settings.STATICFILES_DIRS = [tmp_path]
    html = _document("<p>Small page</p>", head='<link rel="stylesheet" href="/static/a5.css">')
    page = pypdf.PdfReader(io.BytesIO(pdf_render(html=html))).pages[0]
    # A5 is 148 mm × 210 mm; 1 mm = 72 / 25.4 pt.
    assert round(float(page.mediabox.width) * 25.4 / 72) == 148
    assert round(float(page.mediabox.height) * 25.4 / 72) == 210


def test_stylesheets_and_fonts_are_built_once_per_process():
    resources = pdf._resources
    assert resources.font_config() is resources.font_config()
    first = resources.stylesheet("css/print-letter.css")
    assert resources.stylesheet("css/print-letter.css") is first
    with pytest.raises(FileNotFoundError):
        resources.stylesheet("css/does-not-exist.css")


def test_tagged_output_has_a_structure_tree_and_the_document_language():
    document = pdf_render(html=_document("<h1>Title</h1><p>Text</p>"), tagged=True)
    root = pypdf.PdfReader(io.BytesIO(document)).trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
