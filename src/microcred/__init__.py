"""microcred: Open Badges 3.0 micro-credentials: build, sign, verify, revoke, bake."""
