"""Pinyin initials of a name, for searching ``jsjyyjs`` → 计算机应用技术."""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin, load_phrases_dict

_KEEP = re.compile(r"[0-9a-z]")

# Longest-match segmentation reads "大数据与会计" as 与会 (yùhuì, to attend) + 计; course names
# mean 会计 (kuàijì, accounting).
load_phrases_dict({"与会计": [["yǔ"], ["kuài"], ["jì"]], "和会计": [["hé"], ["kuài"], ["jì"]]})


def initials(name: str) -> str:
    """First letter of each Chinese character's pinyin; Latin letters and digits kept, lowercased."""
    letters: list[str] = []
    for part in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default"):
        letters.extend(_KEEP.findall(part.lower()))
    return "".join(letters)[:200]
