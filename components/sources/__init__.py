"""The data-sources page's pieces: sources table, quarantine samples, job runs, wall heartbeats."""
