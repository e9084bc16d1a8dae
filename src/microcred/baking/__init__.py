"""Baked badges (bytes and text only, no crypto): a credential in and out of a PNG (``png``) or SVG
(``svg``) image (``bake``, with the shared names and limits in ``payload``), and the default badge
image for achievements without one (``badge``)."""
