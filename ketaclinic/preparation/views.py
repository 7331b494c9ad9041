"""Views of the preparation stage."""
