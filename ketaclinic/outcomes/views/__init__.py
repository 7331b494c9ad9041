"""Views of the outcomes stage: patient portal, staff pages and reports."""
