"""JSON-LD, offline and in safe mode: the packaged contexts (``loader``), limits for hostile input,
expansion and RDF conversion (pyld, and a fast byte-identical path), and RDFC-1.0 (``rdfc``)."""
