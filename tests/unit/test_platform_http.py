"""How the platform SDK reads what comes back, shared by its sync and async clients:
errors with the server's codes, which answers and failures are retried and after how
long, httpx's exceptions translated; the client's settings; request descriptions.
(Against a real server: tests/integration/test_platform_sdk.py.)"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
import pytest

from socialsync.platform import (
    BadRequest,
    Conflict,
    Forbidden,
    InternalError,
    NetworkError,
    NotFound,
    RateLimited,
    SocialSyncError,
    Timeout,
    Unauthorized,
    Unavailable,
    UnexpectedAnswer,
)
from socialsync.platform._errors import retry_after_s
from socialsync.platform._http import Done, Options, Retry, decide, options
from socialsync.platform._models import Page, page_of, reader
from socialsync.platform._request import Request, Spec

OPTS = Options("http://sync.test", "Bearer ssk_x", 5.0, max_retries=2, max_retry_wait_s=10.0)


def request(method: Any = "GET", idempotent: bool | None = None) -> Request[Any]:
    safe = method in ("GET", "PUT", "DELETE") if idempotent is None else idempotent
    return Request(method, "/api/v1/parties/{party}", Spec(reader(dict), path={"party": "p 1/2"}), safe)


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None, text: str | None = None):
    if text is not None:
        return httpx.Response(status, text=text, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def refusal(code: str, message: str = "no", **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}, **extra}


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "bad_request", BadRequest),
        (401, "unauthorized", Unauthorized),
        (403, "forbidden", Forbidden),
        (404, "not_found", NotFound),
        (409, "conflict", Conflict),
        (500, "internal", InternalError),
    ],
)
def test_a_refusal_is_the_exception_of_its_code(status: int, code: str, cls: type) -> None:
    with pytest.raises(cls) as caught:
        decide(OPTS, request(), answer(status, refusal(code, "it says why")), 0)
    error = caught.value
    assert isinstance(error, SocialSyncError)
    assert (error.code, error.status, error.message) == (code, status, "it says why")
    assert str(error) == f"{code} (HTTP {status}): it says why"


def test_a_refusals_extra_fields_and_an_unknown_code_are_kept() -> None:
    with pytest.raises(Conflict) as caught:
        decide(OPTS, request(), answer(409, refusal("conflict", playback={"seq": 4})), 0)
    assert caught.value.details == {"playback": {"seq": 4}}
    with pytest.raises(SocialSyncError) as other:
        decide(OPTS, request(), answer(400, refusal("newer_code")), 0)
    assert type(other.value) is SocialSyncError and other.value.code == "newer_code"


def test_an_answer_without_the_json_envelope_gets_a_code_by_its_status() -> None:
    with pytest.raises(Unavailable) as caught:
        decide(OPTS, request("POST"), answer(502, text="<html>Bad gateway</html>"), 0)
    assert caught.value.status == 502
    with pytest.raises(UnexpectedAnswer):  # a 2xx must be JSON
        decide(OPTS, request(), answer(200, text="<html>"), 0)
    with pytest.raises(UnexpectedAnswer, match="GET /x: expected list"):  # and of the documented shape
        decide(OPTS, Request("GET", "/x", Spec(page_of(dict)), True), answer(200, {"ok": True}), 0)


def test_a_success_is_read_with_the_requests_reader() -> None:
    got = decide(OPTS, Request("GET", "/x", Spec(page_of(dict)), True), answer(200, {"items": [{}]}), 0)
    assert got == Done(Page(({},), None))


def test_429_is_retried_after_retry_after_for_any_method_within_the_bounds() -> None:
    limited = answer(429, refusal("rate_limited"), {"Retry-After": "2"})
    # Refused before any handler ran: a POST is retried too.
    assert decide(OPTS, request("POST"), limited, 0) == Retry(2.0)
    assert decide(OPTS, request("POST"), limited, 1) == Retry(2.0)
    with pytest.raises(RateLimited) as caught:  # retries spent
        decide(OPTS, request("POST"), limited, 2)
    assert caught.value.retry_after_s == 2.0 and caught.value.status == 429
    # A wait beyond the bound is not waited: the caller decides.
    long = answer(429, refusal("rate_limited"), {"Retry-After": "60"})
    with pytest.raises(RateLimited) as caught:
        decide(OPTS, request(), long, 0)
    assert caught.value.retry_after_s == 60.0


def test_retry_after_may_be_an_http_date_or_come_in_the_body() -> None:
    when = email.utils.formatdate(2_000_000_003, usegmt=True)
    assert retry_after_s(when, now_s=2_000_000_000) == 3.0
    assert retry_after_s(" 7 ") == 7.0 and retry_after_s("soon") is None
    soon = email.utils.formatdate(time.time() + 3, usegmt=True)
    step = decide(OPTS, request(), answer(429, refusal("rate_limited"), {"Retry-After": soon}), 0)
    assert isinstance(step, Retry) and 1.0 <= step.delay_s <= 4.0
    body = {"ok": False, "error": {"code": "rate_limited", "message": "m", "retry_after": 1.5}}
    with pytest.raises(RateLimited) as caught:
        decide(OPTS, request(), answer(429, body), 2)
    assert caught.value.retry_after_s == 1.5


def test_503_is_retried_for_idempotent_requests_only() -> None:
    down = answer(503, refusal("unavailable"))
    assert decide(OPTS, request("GET"), down, 0) == Retry(0.25)
    assert decide(OPTS, request("PUT"), down, 1) == Retry(0.5)  # backing off
    assert decide(OPTS, request("PATCH", idempotent=True), down, 0) == Retry(0.25)
    with pytest.raises(Unavailable):
        decide(OPTS, request("POST"), down, 0)
    no_retries = Options("http://sync.test", "Bearer t", 5.0, max_retries=0, max_retry_wait_s=10.0)
    with pytest.raises(Unavailable):
        decide(no_retries, request("GET"), down, 0)


def test_httpx_failures_are_retried_when_safe_and_translated_at_the_boundary() -> None:
    wire = httpx.Request("POST", "http://sync.test/api/v1/parties")
    refused = httpx.ConnectError("connection refused", request=wire)
    lost = httpx.ReadTimeout("timed out", request=wire)
    assert decide(OPTS, request("POST"), refused, 0) == Retry(0.25)  # nothing was sent
    assert decide(OPTS, request("GET"), lost, 0) == Retry(0.25)
    with pytest.raises(Timeout) as caught:  # a POST's answer lost: it may have happened
        decide(OPTS, request("POST"), lost, 0)
    assert caught.value.__cause__ is lost and isinstance(caught.value, NetworkError)
    assert caught.value.code == "unavailable" and caught.value.status is None
    with pytest.raises(NetworkError) as spent:
        decide(OPTS, request("POST"), refused, 2)
    assert spent.value.__cause__ is refused and not isinstance(spent.value, Timeout)


def test_a_request_description_quotes_its_path_and_pages_on() -> None:
    r = Request(
        "GET",
        "/api/v1/parties/{party}/members",
        Spec(reader(dict), path={"party": "a/b c"}, query={"limit": 2, "cursor": None, "all": True}),
        True,
    )
    assert r.path == "/api/v1/parties/a%2Fb%20c/members"
    assert r.params() == {"limit": "2", "all": "true"}
    assert r.after("CUR").params() == {"limit": "2", "all": "true", "cursor": "CUR"}
    assert r.params() == {"limit": "2", "all": "true"}  # unchanged


def test_the_clients_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOCIALSYNC_URL", raising=False)
    monkeypatch.delenv("SOCIALSYNC_API_KEY", raising=False)
    ok = options("https://sync.example/", "ssk_a_b", None, 5.0, 2, 10.0)
    assert (ok.base_url, ok.authorization) == ("https://sync.example", "Bearer ssk_a_b")
    assert options("https://sync.example", None, "eyJ", 5.0, 2, 10.0).authorization == "Bearer eyJ"
    for args, says in [
        ((None, "ssk_a", None), "base_url"),
        (("ftp://x", "ssk_a", None), "http"),
        (("https://x", "ssk_a", "eyJ"), "not both"),
        (("https://x", "eyJ.not.a.key", None), "ssk_"),
        (("https://x", None, None), "api_key"),
    ]:
        with pytest.raises(ValueError, match=says):
            options(*args, 5.0, 2, 10.0)
    monkeypatch.setenv("SOCIALSYNC_URL", "https://env.example")
    monkeypatch.setenv("SOCIALSYNC_API_KEY", "ssk_env_key")
    env = options(None, None, None, 5.0, 2, 10.0)
    assert (env.base_url, env.authorization) == ("https://env.example", "Bearer ssk_env_key")
