"""A static HTML gallery of a published dataset version: look at every benchmark and every rejected run."""

from benchgen.gallery.site import GallerySite, build_gallery, publish_gallery

__all__ = ["GallerySite", "build_gallery", "publish_gallery"]
