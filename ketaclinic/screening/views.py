"""Views of the screening stage."""
