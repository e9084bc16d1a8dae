"""Credential status: Bitstring Status List data (``bitstring``), publishing signed status lists from
a ledger (``publishing``), and checking a credential's status when verifying (``checking``)."""
