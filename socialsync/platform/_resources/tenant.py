"""The tenant's own settings: access (JWKS, allowed origins; ``users:admin``) and
policy (frame-ancestors, limits, engagement switches, the chat hook; ``webhooks:admin``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from socialsync.platform._models import TenantAccess, TenantSettings, reader
from socialsync.platform._request import UNSET, M, Resource, Spec, Unset, call, given


def _list(values: Sequence[str] | Unset | None) -> list[str] | Unset | None:
    return values if values is None or isinstance(values, Unset) else [*values]


class Tenant(Resource[M]):
    """``client.tenant``. In the ``update_*`` methods an argument left out keeps its
    value and ``None`` clears it (back to the server's default)."""

    @call("GET", "/api/v1/tenant/access")
    def access(self) -> Spec[TenantAccess]:
        """The tenant's JWKS (URL or document) and the origins its pages may come from."""
        return Spec(reader(TenantAccess, "access"))

    @call("PUT", "/api/v1/tenant/access")
    def update_access(
        self,
        *,
        jwks_url: str | Unset | None = UNSET,
        jwks: Mapping[str, Any] | Unset | None = UNSET,
        allowed_origins: Sequence[str] | Unset | None = UNSET,
    ) -> Spec[TenantAccess]:
        """Change the JWKS (``jwks_url`` or ``jwks``, not both) or the allowed origins."""
        body = given(jwks_url=jwks_url, jwks=jwks, allowed_origins=_list(allowed_origins))
        return Spec(reader(TenantAccess, "access"), body=body)

    @call("GET", "/api/v1/tenant/settings")
    def settings(self) -> Spec[TenantSettings]:
        """Who may frame the tenant's pages, its own limits and the limits in force."""
        return Spec(reader(TenantSettings, "settings"))

    @call("PUT", "/api/v1/tenant/settings")
    def update_settings(
        self,
        *,
        frame_ancestors: Sequence[str] | Unset | None = UNSET,
        parties_per_hour: int | Unset | None = UNSET,
        cameras_per_user: int | Unset | None = UNSET,
        guests_per_address_per_hour: int | Unset | None = UNSET,
        badges: bool | Unset = UNSET,
        feedback: Literal["off", "csat", "nps"] | Unset = UNSET,
        chat_hook: Mapping[str, Any] | Unset | None = UNSET,
    ) -> Spec[TenantSettings]:
        """Change the embedders (CSP frame-ancestors), the tenant's own limits, its
        engagement switches (``badges``; ``feedback``: the end-of-party prompt), or its
        chat hook (``{url?, timeout_ms?, on_timeout?, enabled?, rotate_secret?}``; None
        removes it; a new hook's or a rotated secret is ``settings.chat_hook.secret``,
        in this answer only: docs/chat-hook.md)."""
        limits = given(
            parties_per_hour=parties_per_hour,
            cameras_per_user=cameras_per_user,
            guests_per_address_per_hour=guests_per_address_per_hour,
        )
        engagement = given(badges=badges, feedback=feedback)
        body = given(
            frame_ancestors=_list(frame_ancestors),
            limits=limits or UNSET,
            engagement=engagement or UNSET,
            chat_hook=chat_hook if isinstance(chat_hook, Unset) or chat_hook is None else dict(chat_hook),
        )
        return Spec(reader(TenantSettings, "settings"), body=body)
