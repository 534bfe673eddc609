"""``onrecord serve``: a page to paste or upload an article and read its report, and an HTTP API
(``POST /analyze``, ``POST /report``) over worker processes. See :mod:`onrecord.serve.app`."""
