"""Venue media: validation by content, Pillow processing, content-addressed storage, IIIF.

Pipeline (each stage a small module with a narrow interface, as in thumbor):
``storage`` (content-addressed blobs) -> ``validate`` (Pillow / container sniff) ->
``process`` (orientation, metadata stripping, sRGB, renditions, placeholders) ->
``iiif`` (Image API 3.0 requests rendered with Pillow) with ``derived`` (the rendered-bytes
cache and tile pyramid) -> ``manifest`` (Presentation 3.0 virtual visits).
``service`` ties them to the database. Nothing here imports the web layer.
"""
