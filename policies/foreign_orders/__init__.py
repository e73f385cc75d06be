"""Bundled item rules: foreign regulators' orders about Clearview AI's data subjects."""
