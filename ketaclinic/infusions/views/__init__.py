"""Views of the infusion day: the floor board, the visit chart, orders, printing, the patient portal."""
