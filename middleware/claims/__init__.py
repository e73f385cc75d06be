"""Normalize: a verified token's claims read where its issuer puts them (``mapping.py``, the one
reader for the gate and the admin tools) and turned into a Principal (entity type, ISO 3166
country and region; whose agency, for which agency type and in what capacity: ``agency.py``;
the entity types and their groups: ``entity_types.py``) and the policy view of it, the issuer's
authority over those claims, the path the app routes below its root path (``routed_path.py``)
and its canonical form the policy sees, and what the app sees of a client that passed
(``scope["user"]``).

May import: ``jurisgate.middleware.errors``. Nothing here verifies tokens or decides.
"""
