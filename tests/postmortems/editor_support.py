"""Read the editor's form out of its HTML, as a browser without JavaScript would submit it."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.template_depth = 0
        self.fields: list[tuple[str, str]] = []
        self._textarea = None
        self._select = None
        self._option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.in_form = True
        if not self.in_form:
            return
        if tag == "template":
            self.template_depth += 1
        if self.template_depth:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in a, "chosen": [], "first": None}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if not self.in_form:
            return
        if tag == "template":
            self.template_depth -= 1
            return
        if self.template_depth:
            return
        if tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # The HTML parser keeps the newline that follows <textarea>; browsers drop it.
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            option = self._option
            value = option["value"] if option["value"] is not None else option["text"].strip()
            if self._select["first"] is None:
                self._select["first"] = value
            if option["selected"]:
                self._select["chosen"].append(value)
            self._option = None
        elif tag == "select" and self._select is not None:
            select = self._select
            chosen = select["chosen"] or ([] if select["multiple"] else [select["first"] or ""])
            self.fields.extend((select["name"], value) for value in chosen)
            self._select = None
        elif tag == "form":
            self.in_form = False


def form_data(html: str, form_id: str = "editor-form") -> dict:
    """Return the fields the form `form_id` in `html` would submit, as {name: value or [values]}."""
    reader = _FormReader(form_id)
    reader.feed(html)
    data: dict = {}
    for name, value in reader.fields:
        if name in data:
            data[name] = data[name] if isinstance(data[name], list) else [data[name]]
            data[name].append(value)
        else:
            data[name] = value
    return data


def editor_form(client, slug: str) -> dict:
    """Return what the editor of `slug` would submit unchanged (the client must be signed in)."""
    response = client.get(f"/postmortems/{slug}/edit/")
    assert response.status_code == 200, response.status_code
    return form_data(response.content.decode())


def section_field(data: dict, heading_index: int) -> str:
    return f"sections-{heading_index}-body"


def add_rows(data: dict, prefix: str, rows: list[dict]) -> dict:
    """Return `data` with `rows` appended to formset `prefix` as new rows (as "+ Add" would)."""
    data = dict(data)
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    # The blank row offered without JavaScript is the last one; fill rows from there on.
    start = total - 1 if _blank(data, prefix, total - 1) else total
    for offset, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{start + offset}-{key}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(max(total, start + len(rows)))
    return data


def _blank(data, prefix, index) -> bool:
    if index < 0:
        return False
    return not data.get(f"{prefix}-{index}-id") and index >= int(data[f"{prefix}-INITIAL_FORMS"])
