"""Component ids of the warnings center, in one place (callbacks and tests share them)."""

LEVEL, STATE, DOMAIN, DISTRICT, HANDLING = ("wc-level", "wc-state", "wc-domain", "wc-district", "wc-handling")
FILTERS = (LEVEL, STATE, DOMAIN, DISTRICT, HANDLING)
RESET = "wc-reset"
LIST = "wc-list"
PAGE = "wc-page"  # the list's pager
COUNTS = "wc-counts"
DETAIL = "wc-detail"
SELECTED = "wc-selected"
CHANGED = "wc-changed"
LANG = "wc-lang"
URL_SYNC = "wc-url-sync"
REFRESH = "wc-refresh"
OPEN = "wc-open"  # pattern-matching type of a row's open button
NOTE, DEPARTMENT = "wc-note", "wc-department"
ACK, ASSIGN, ADD_NOTE, CLOSE = "wc-ack", "wc-assign", "wc-add-note", "wc-close"
HANDLE_PANEL, HANDLE_FEEDBACK = "wc-handle", "wc-handle-feedback"
SIL_TARGET, SIL_RULE, SIL_SOURCE, SIL_HOURS, SIL_REASON = (
    "wc-sil-target", "wc-sil-rule", "wc-sil-source", "wc-sil-hours", "wc-sil-reason")
SIL_ADD, SIL_FEEDBACK, SIL_LIST, SIL_CHANGED = "wc-sil-add", "wc-sil-feedback", "wc-sil-list", "wc-sil-changed"
SIL_END = "wc-sil-end"  # pattern-matching type of a silence's end button
