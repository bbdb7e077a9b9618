"""Logging filters that every handler of the project applies (settings.LOGGING)."""

import logging
import re
from urllib.parse import unquote

SCRUBBED = "[scrubbed]"
# Secrets that travel in URLs: `token=` in a query (reset, email confirmation) and the invite
# link's path segment. Emailed links still arrive once with them, so request lines carry them.
TOKEN_IN_URL = re.compile(r"(?P<before>[?&;]token=|/invites/(?!answer/))(?P<token>[^&;/\s\"'?#]+)")


def scrub_tokens(text: str) -> str:
    """`text` with token values replaced; percent-decoded where that shows one (`?%74oken=`)."""
    decoded = unquote(text)
    scrubbed = TOKEN_IN_URL.sub(rf"\g<before>{SCRUBBED}", decoded)
    return scrubbed if scrubbed != decoded else text


class ScrubTokens(logging.Filter):
    """Replaces token values in a record's message (a request line, a "Not Found: <path>") with
    a placeholder, so access and error logs never hold a working reset, confirmation or invite link."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub_tokens(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True
