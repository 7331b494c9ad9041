"""Views of the schedule stage."""
