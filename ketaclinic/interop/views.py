"""Views of the interop stage (FHIR endpoints, token management)."""
