"""Views of the messaging stage."""
