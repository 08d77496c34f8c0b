"""Which keys of a tenant's JWKS sign its tokens (edge/jwks.py): RSA of 2048 bits or more
(RS256) and EC P-256 (ES256) signing keys only; an inline JWKS is read once per change."""

from __future__ import annotations

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from socialsync.domain.api_keys import TenantAccess
from socialsync.edge.jwks import JwksKeys, read_jwks


def public_jwk(key, kid: str, **extra) -> dict:
    algorithm = jwt.algorithms.ECAlgorithm if isinstance(key, ec.EllipticCurvePrivateKey) else None
    data = (algorithm or jwt.algorithms.RSAAlgorithm).to_jwk(key.public_key(), as_dict=True)
    return data | {"kid": kid} | extra


def test_only_strong_signing_keys_of_the_two_algorithms_are_kept():
    p256 = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    jwks = {
        "keys": [
            public_jwk(p256, "ec"),
            public_jwk(p384, "p384"),
            public_jwk(weak, "weak"),
            public_jwk(p256, "enc", use="enc"),
            public_jwk(p256, "hs", alg="HS256"),
        ]
    }
    keys = read_jwks(jwks)
    assert list(keys) == ["ec"] and keys["ec"].algorithm_name == "ES256"


async def test_an_inline_jwks_is_read_again_only_when_it_changes():
    first, second = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    access = {"demo": TenantAccess(jwks={"keys": [public_jwk(first, "k1")]})}

    async def access_of(tenant_id: str) -> TenantAccess:
        return access.get(tenant_id, TenantAccess())

    keys = JwksKeys(access_of)
    found = await keys.key("demo", "k1")
    assert found is not None and await keys.key("demo", "k1") is found
    assert await keys.key("demo", "k2") is None
    assert await keys.key("acme", "k1") is None  # a tenant without a JWKS
    access["demo"] = TenantAccess(jwks={"keys": [public_jwk(first, "k1"), public_jwk(second, "k2")]})
    assert await keys.key("demo", "k2") is not None
    await keys.close()
