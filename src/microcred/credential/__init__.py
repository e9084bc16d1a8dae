"""The credential document: the model turned into an Open Badges 3.0 credential (``builder``), checked
against the JSON Schemas (``schema``), read from whatever an employer hands in (``reader``) and shown
to people as its micro-credential elements (``inspection``)."""
