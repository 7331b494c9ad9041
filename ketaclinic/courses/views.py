"""Views of the courses stage."""
