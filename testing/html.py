"""Read a page the way a browser would submit it: the links and forms inside <main>.

A small stdlib parser, enough for the offered-action tests: each form's fields with the values a
person would send without touching anything (what is pre-filled, pre-ticked, pre-selected), and
what they would have to choose because nothing is (`required` inputs left empty, radio groups with
nothing checked).
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser

FILLER = {"date": "2026-01-05", "time": "10:00", "number": "1", "email": "someone@example.org", "url": ""}


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    # radio groups: name → (first value, a value is checked)
    radios: dict[str, list] = field(default_factory=dict)
    submit_label: str = ""

    def data(self) -> dict[str, list[str]]:
        """What submitting it as it stands sends, with a first choice where a choice is required."""
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        for name, (first, checked) in self.radios.items():
            if not checked:
                data.setdefault(name, []).append(first)
        return data


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.forms: list[Form] = []
        self._main = 0  # depth inside <main>
        self._form: Form | None = None
        self._select: tuple[str, list, bool] | None = None  # name, options, required
        self._textarea: tuple[str, list, bool] | None = None
        self._link: tuple[str, list] | None = None
        self._button: list | None = None

    def handle_starttag(self, tag, attrs):
        a = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "main":
            self._main += 1
        if not self._main:
            return
        if tag == "a" and "href" in a:
            self._link = (a["href"], [])
        elif tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
        elif self._form is not None:
            self._field(tag, a)

    def _field(self, tag, a):
        name, kind = a.get("name"), a.get("type", "text").lower()
        if tag == "button" and kind == "submit":
            self._button = []
        if tag == "input" and kind == "submit" and not self._form.submit_label:
            self._form.submit_label = a.get("value", "")
        if tag == "option" and self._select is not None:
            self._select[1].append((a.get("value", ""), "selected" in a))
        if not name:
            return
        if tag == "input" and kind == "radio":
            first, checked = self._form.radios.get(name, (a.get("value", "on"), False))
            self._form.radios[name] = (first, checked or "checked" in a)
            if "checked" in a:
                self._form.fields.append((name, a.get("value", "on")))
        elif tag == "input" and kind == "checkbox":
            if "checked" in a:
                self._form.fields.append((name, a.get("value", "on")))
        elif tag == "input" and kind not in ("submit", "button", "reset", "file", "image"):
            value = a.get("value", "")
            if not value and "required" in a:
                value = FILLER.get(kind, "Test")
            self._form.fields.append((name, value))
        elif tag == "select":
            self._select = (name, [], "required" in a)
        elif tag == "textarea":
            self._textarea = (name, [], "required" in a)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._link is not None:
            self._link[1].append(data)
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag):
        if tag == "main" and self._main:
            self._main -= 1
        elif tag == "a" and self._link is not None:
            href, text = self._link
            self.links.append((href, " ".join("".join(text).split())))
            self._link = None
        elif tag == "button" and self._button is not None:
            if self._form is not None and not self._form.submit_label:
                self._form.submit_label = " ".join("".join(self._button).split())
            self._button = None
        elif tag == "select" and self._select is not None:
            name, options, required = self._select
            chosen = [value for value, selected in options if selected] or [value for value, _ in options[:1]]
            if required and chosen == [""]:
                chosen = [value for value, _ in options if value][:1]
            self._form.fields += [(name, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text, required = self._textarea
            value = "".join(text).removeprefix("\n")
            self._form.fields.append((name, value or ("Test" if required else "")))
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def read(html: str) -> _Page:
    """The links (href, text) and forms inside the page's <main>."""
    page = _Page()
    page.feed(html)
    page.close()
    return page
