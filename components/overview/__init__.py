"""The office overview's pieces: vital-signs panel (now, 24 h trend, why it moved), domain cards."""
