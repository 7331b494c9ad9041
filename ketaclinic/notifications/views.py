"""Views of the notifications stage."""
