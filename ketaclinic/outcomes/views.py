"""Views of the outcomes stage."""
