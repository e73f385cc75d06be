"""Verify: the bearer header, the compact JWS read strictly, the issuer's keys (PEM or JWKS)
and the signature and registered claims checked by PyJWT, with the limits a TokenVerifier is
built from.

May import: ``jurisgate.middleware.errors``, ``third_party``, ``claims.authority`` and
``claims.mapping`` (an issuer's authority and claim mapping travel with its keys). Nothing here
knows about policies, caches or the gate.
"""
