"""The issuer ledger: the :class:`~microcred.ledger.protocol.Ledger` protocol every backend implements
(``protocol``), the function that picks a backend from where the ledger is (``opening``), the embedded
SQLite backend (``sqlite``, its file format in ``sqlite_schema``) and the PostgreSQL backend
(``postgres``, the ``[postgres]`` extra; docs/ledger.md)."""
