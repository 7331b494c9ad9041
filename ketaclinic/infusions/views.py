"""Views of the infusions stage."""
