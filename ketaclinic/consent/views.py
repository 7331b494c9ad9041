"""Views of the consent stage."""
