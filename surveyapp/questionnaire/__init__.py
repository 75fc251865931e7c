"""Questionnaires as data: read, check, normalise and load the files in ``questionnaires/``.

- ``source``: YAML with the line of every node; ``schema``: the JSON Schemas;
- ``definition``: the normalised definition every consumer reads;
- ``show_if``: the safe expression language; ``check``: all checks; ``load``: storing versions.
"""
