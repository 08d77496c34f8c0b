"""The engineio/aiohttp tuning's self-check: it must notice a moved internal and an
unchecked release, or an upgrade would silently run patches written for other code."""

from __future__ import annotations

import pytest
from aiohttp.web import WebSocketResponse
from engineio.async_socket import AsyncSocket

from socialsync.edge.sio import tuning


def test_the_installed_versions_are_the_checked_ones() -> None:
    # If this fails, the dependencies moved: read the internals again, then update
    # CHECKED_VERSIONS (and pyproject's pins) together.
    assert tuning.problems() == []


def test_an_unchecked_release_is_named() -> None:
    installed = {"python-socketio": "5.18.1", "python-engineio": "4.16.0", "aiohttp": "3.14.5"}
    assert tuning.version_problems(installed) == ["python-engineio 4.16.0 (checked with 4.15.x)"]
    assert tuning.version_problems({**installed, "python-engineio": "4.15"}) == []
    # 3.140 is not 3.14.
    assert tuning.version_problems({**installed, "python-engineio": "4.15.0", "aiohttp": "3.140.0"})


def test_a_moved_attribute_is_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(WebSocketResponse, "_writer")
    assert tuning.missing_internals() == ["aiohttp WebSocketResponse._writer"]
    with pytest.raises(RuntimeError, match=r"WebSocketResponse\._writer"):
        tuning.check_internals()


def test_a_changed_method_body_is_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    async def poll_rewritten(self: AsyncSocket) -> list[object]:
        return []

    # What poll_without_tasks replaces is read from engineio's own code object.
    monkeypatch.setattr(tuning, "_STOCK_POLL", poll_rewritten)
    assert tuning.missing_internals() == ["engineio AsyncSocket.poll waiting with wait_for on its queue"]


def test_a_missing_manager_method_is_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    import socketio

    owner = next(k for k in socketio.AsyncManager.__mro__ if "get_participants" in vars(k))
    monkeypatch.delattr(owner, "get_participants")
    assert "socketio AsyncManager.get_participants" in tuning.problems()
