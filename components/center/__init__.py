"""The warnings center's pieces: level badge, filters, list, timeline, handling and silence forms."""
