"""What is awarded: the micro-credential model (``elements``: frozen dataclasses checked when built),
the vocabularies its values come from (``vocabularies``), and achievement definition files
(``definition``: TOML/JSON → the model)."""
