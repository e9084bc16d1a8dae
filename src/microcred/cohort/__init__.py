"""Cohort issuance (:func:`microcred.issue_many`): a learner CSV in, one signed credential file per
learner out, across processes, idempotent on rerun. ``rows`` reads the CSV, ``workers`` build and sign,
``output`` and ``journal`` write the files, ``summary`` reports, ``run`` drives it all."""
