"""Reusable UI pieces: one per module, small explicit signatures, no hidden state."""
