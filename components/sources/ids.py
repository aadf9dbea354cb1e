"""Component ids of the data-sources page."""

SOURCE, RUN_STATUS = "ds-source", "ds-run-status"
FILTERS = (SOURCE, RUN_STATUS)
SUMMARY, TABLE, QUARANTINE, JOBS, WALLS = "ds-summary", "ds-table", "ds-quarantine", "ds-jobs", "ds-walls"
LANG, URL_SYNC, REFRESH = "ds-lang", "ds-url-sync", "ds-refresh"
