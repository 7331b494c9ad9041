"""Pure clinical rules. No Django import: plain values in, dataclasses out (ARCHITECTURE.md)."""
