"""The issuer ledger: the :class:`~microcred.ledger.protocol.Ledger` protocol every backend implements
(``protocol``), and the embedded SQLite backend (``sqlite``, its file format in ``sqlite_schema``)."""
