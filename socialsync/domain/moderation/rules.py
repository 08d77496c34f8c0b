"""Rules about text that is not words: links, mention spam, ALL-CAPS and repeated-character floods.

Links are looked for in the NFKC, case-folded text without lookalike folding, so a
domain spelt with a Cyrillic letter is a different (and unknown) domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from socialsync.domain.moderation.normalise import plain_view

_TLDS = (
    "com|net|org|info|biz|io|tv|gg|ly|me|co|xyz|app|dev|link|live|site|online|club|top|shop|"
    "stream|watch|fun|ru|de|uk|fr|es|it|nl|pl|cn|jp|kr|br|in|us|ca|au|be|to|cc|ws|su|tk|ml|ga|cf"
)
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    r"|(?<![\w.@-])(?:[\w-]+\.)+(?:" + _TLDS + r")(?![\w-])(?:[/?#:][^\s<>\"']*)?",
)
_MENTION = re.compile(r"(?<![\w@])@\w{1,32}")
# A unit of one to six characters said four or more times in a row.
_REPEAT = re.compile(r"(.{1,6}?)\1{3,}", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Link:
    host: str
    start: int  # span in the original text
    end: int


def find_links(text: str) -> list[Link]:
    if "." not in text and "．" not in text and "。" not in text:
        return []  # most messages: no dot, no link, no need to normalise
    plain, origins = plain_view(text)
    links: list[Link] = []
    for match in _LINK.finditer(plain):
        url = match.group(0).rstrip(".,;:!?)")
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url).split("/")[0].split("?")[0].split("#")[0]
        host = host.split(":")[0].split("@")[-1]
        links.append(Link(host, origins[match.start()], origins[match.start() + len(url) - 1] + 1))
    return links


def is_allowed_host(host: str, allowed_domains: frozenset[str]) -> bool:
    """True for an allowed domain or any subdomain of one (``m.youtube.com`` for ``youtube.com``)."""
    return any(host == domain or host.endswith("." + domain) for domain in allowed_domains)


def count_mentions(text: str) -> int:
    if "@" not in text and "＠" not in text:
        return 0
    return len(_MENTION.findall(plain_view(text)[0]))


def is_caps_flood(text: str, min_letters: int, min_ratio: float) -> bool:
    """Shouting: enough cased letters, nearly all of them capitals."""
    if len(text) < min_letters or text.islower():
        return False
    upper = sum(1 for char in text if char.isupper())
    lower = sum(1 for char in text if char.islower())
    return upper + lower >= min_letters and upper >= min_ratio * (upper + lower)


def find_floods(text: str, min_chars: int) -> list[tuple[int, int]]:
    """Spans where one short unit repeats over at least ``min_chars`` characters."""
    if len(text) < min_chars:
        return []
    return [
        (match.start(), match.end())
        for match in _REPEAT.finditer(text)
        if match.end() - match.start() >= min_chars
    ]
