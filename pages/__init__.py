"""One module per page (``dash.register_page``); layouts are cheap, callbacks thin."""
