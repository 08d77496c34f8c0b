"""The platform SDK's clients are typed for their users: each method has its own
signature and result, plain in ``SocialSync``, awaitable in ``AsyncSocialSync`` (though
each is written once), as mypy --strict sees a backend's code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BACKEND = """
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import assert_type

from socialsync.platform import (
    AsyncSocialSync, Media, Member, NewWebhookSecret, Page, Party, PartyState, SocialSync, Token,
)


def blocking(client: SocialSync) -> None:
    assert_type(client.parties.create("Film", Media("https://cdn.example/a.mp4")), Party)
    assert_type(client.parties.get("p"), PartyState)
    assert_type(client.parties.iter(type="live_room"), Iterator[Party])
    assert_type(client.members.list("p", limit=5), Page[Member])
    assert_type(client.webhooks.create("https://portal.example/hooks"), NewWebhookSecret)
    client.parties.create("Film", "https://cdn.example/a.mp4")  # type: ignore[arg-type]
    client.parties.update("p", colour="red")  # type: ignore[call-arg]
    client.parties.list(type="cinema")  # type: ignore[arg-type]


async def asynchronous(client: AsyncSocialSync) -> None:
    assert_type(client.parties.create("Film", Media("https://cdn.example/a.mp4")), Awaitable[Party])
    assert_type(await client.tokens.create("u", "U", role="moderator"), Token)
    assert_type(client.members.iter("p"), AsyncIterator[Member])
    async for member in client.members.iter("p"):
        assert_type(member.camera is None, bool)
    await client.tokens.create("u", "U", role="owner")  # type: ignore[arg-type]
"""


def test_a_backends_code_is_checked_against_each_methods_signature_and_result(tmp_path: Path) -> None:
    source = tmp_path / "backend.py"
    source.write_text(BACKEND)
    # --strict warns of an unused "type: ignore": each line above that expects an error gets it.
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(source)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stdout + done.stderr
