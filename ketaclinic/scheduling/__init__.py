"""Pure chair-and-nurse scheduler: instance model, CP-SAT optimizer, first-fit baseline,
bound, validator, generator and CLI. No Django import (ARCHITECTURE.md)."""
