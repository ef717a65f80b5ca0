"""Keep the English catalogue in step with the Chinese strings in the code.

    python -m web.i18n_catalog update   # add new strings to messages.po, drop unused ones
    python -m web.i18n_catalog check    # list strings without an English translation

Strings are found in web/**/*.py (gettext, _, lazy_gettext, _l, ngettext) and in
web/templates/**/*.html (the same functions and {% trans %} blocks). The test suite runs
`missing()` so an untranslated string fails CI rather than showing Chinese in English mode.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.messages.pofile import write_po

WEB = Path(__file__).resolve().parent
PO = WEB / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
}
METHODS = [
    ("**/translations/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "encoding": "utf-8"}}


def extracted() -> Catalog:
    """Every translatable string of the web package, as a template catalogue."""
    catalog = Catalog(project="supervision-workflow", charset="utf-8")
    for filename, lineno, message, comments, context in _messages():
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _messages() -> Iterator:
    yield from extract_from_dir(
        str(WEB),
        method_map=METHODS,
        options_map=OPTIONS,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    )


def load(path: Path = PO) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale="en")


def update(path: Path = PO) -> tuple[int, int]:
    """Merge new strings into the catalogue; return (added, removed)."""
    template = extracted()
    if path.exists():
        catalog = load(path)
    else:
        catalog = Catalog(
            locale="en",
            project="supervision-workflow",
            charset="utf-8",
            header_comment="# English for the web app; the msgids are the Chinese UI text.",
        )
    before = {m.id for m in catalog if m.id}
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    after = {m.id for m in catalog if m.id}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        # No source locations: they change with every edit and only cause merge conflicts.
        write_po(handle, catalog, width=100, no_location=True, sort_output=True)
    return len(after - before), len(before - after)


def missing(path: Path = PO) -> list[str]:
    """Strings used in the code that the English catalogue does not translate."""
    catalog = load(path)
    result = []
    for message in extracted():
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        text = found.string if found is not None else None
        if isinstance(text, tuple | list):
            complete = all(text)
        else:
            complete = bool(text)
        if not complete or (found is not None and found.fuzzy):
            result.append(message.id if isinstance(message.id, str) else message.id[0])
    return result


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        added, removed = update()
        print(f"{PO.relative_to(WEB.parent)}: {added} added, {removed} removed")
        todo = missing()
        print(f"{len(todo)} strings still need an English translation")
        return 0
    if command == "check":
        todo = missing()
        for text in todo:
            print(text)
        return 1 if todo else 0
    print(__doc__)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
