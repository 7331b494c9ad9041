"""Views of the screening stage (split by audience: intake, staff, review, public)."""
