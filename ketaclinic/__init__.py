"""ketaclinic: runs an IV ketamine infusion clinic end to end."""
