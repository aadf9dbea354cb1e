"""Codes a department writes, shown to people as words (labels from the city config)."""

from __future__ import annotations

from typing import Any

from citybrain.i18n import t


def status_label(code: str | None, settings: Any, lang: str) -> str:
    """A ticket's status as words: the hotline source's ``status_labels`` (city config), else
    the catalogue's usual 12345 meanings, else the code (never a bare "20" when it is known)."""
    if not code:
        return ""
    for source in settings.sources:
        if source.domain != "hotline":
            continue
        label = source.status_labels.get(code)
        if isinstance(label, dict):
            return label.get(lang) or label.get("zh") or label.get("en") or code
        if label:
            return label
    key = f"hotline.status.{code}"
    text = t(key, lang)
    return code if text == key else text
