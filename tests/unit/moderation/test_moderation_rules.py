"""Rules about text that is not words."""

from __future__ import annotations

from socialsync.domain.moderation.rules import (
    count_mentions,
    find_floods,
    find_links,
    is_allowed_host,
    is_caps_flood,
)


def hosts(text: str) -> list[str]:
    return [link.host for link in find_links(text)]


def test_links_with_a_scheme_www_or_a_known_tld_are_found() -> None:
    assert hosts("see https://Example.org/a?b=1 and www.spam.io now") == ["example.org", "spam.io"]
    assert hosts("free coins at freecoins.xyz/claim!") == ["freecoins.xyz"]
    assert hosts("watch on m.youtube.com") == ["m.youtube.com"]


def test_a_link_span_covers_exactly_the_url_in_the_original() -> None:
    text = "go to spam.io, now"
    [link] = find_links(text)
    assert text[link.start : link.end] == "spam.io"


def test_things_that_look_a_bit_like_links_are_not_links() -> None:
    assert hosts("e.g. the U.S. final, 3.5 stars, bob@example.com, version 1.2.3") == []


def test_a_homograph_domain_is_not_the_domain_it_imitates() -> None:
    [link] = find_links("yоutube.com/watch")  # Cyrillic o
    assert link.host != "youtube.com"
    assert not is_allowed_host(link.host, frozenset({"youtube.com"}))


def test_allowed_domains_include_their_subdomains_only() -> None:
    allowed = frozenset({"youtube.com"})
    assert is_allowed_host("youtube.com", allowed)
    assert is_allowed_host("m.youtube.com", allowed)
    assert not is_allowed_host("notyoutube.com", allowed)
    assert not is_allowed_host("youtube.com.evil.io", allowed)


def test_mentions_are_counted_but_emails_are_not() -> None:
    assert count_mentions("@a @bob @carol_1 hi @dave, mail me@example.com") == 4


def test_caps_flood_needs_enough_letters_nearly_all_capitals() -> None:
    assert is_caps_flood("THIS REFEREE IS A DISGRACE TO THE SPORT", 20, 0.9)
    assert not is_caps_flood("GOAL!!! WHAT A STRIKE", 20, 0.9)  # short shouting is fine
    assert not is_caps_flood("This Referee Is A Disgrace To The Sport", 20, 0.9)


def test_floods_are_long_repeats_of_a_short_unit() -> None:
    assert find_floods("a" * 30, 24) == [(0, 30)]
    assert find_floods("ok " + "lol" * 10, 24) == [(3, 33)]
    assert find_floods("hahahaha that was funny", 24) == []
    assert find_floods("GOOOOOOOAL", 24) == []
