"""Read a rendered admin form back into the data a browser would post (no JavaScript)."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormValues(HTMLParser):
    """Collects what a browser posts for the page's main form: checked boxes, selected
    options, typed text; the template rows of inline formsets (``__prefix__``) too, as a
    browser posts them."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._multiple = False
        self._select_has_selection = False
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in {"submit", "button", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attributes:
                return
            self._add(name, attributes.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self._select, self._select_has_selection, self._first_option = name, False, None
            self._multiple = "multiple" in attributes
        elif tag == "option" and self._select:
            value = attributes.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in attributes:
                self._add(self._select, value)
                self._select_has_selection = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            # A single select with nothing marked posts its first option; a multiple one
            # posts nothing.
            if (
                not self._select_has_selection
                and self._first_option is not None
                and not self._multiple
            ):
                self._add(self._select, self._first_option)
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            self._add(self._textarea, text[1:] if text.startswith("\n") else text)
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def form_data(html: str) -> dict[str, object]:
    """The posted data of the page, one value per name (lists for repeated names)."""
    parser = _FormValues()
    parser.feed(html)
    parser.close()
    return {name: values[0] if len(values) == 1 else values for name, values in parser.data.items()}
