"""Logging filters that every handler of the project applies (settings.LOGGING)."""

import logging
import re

SCRUBBED = "[scrubbed]"
# Secrets that travel in URLs: `token=` in a query (reset, email confirmation) and the invite
# link's path segment. Emailed links still arrive once with them, so request lines carry them.
# Each letter of `token` may be percent-encoded too (`?%74oken=`), which Django decodes.
_KEY = "".join(f"(?:{letter}|%{ord(letter):02x}|%{ord(letter.upper()):02x})" for letter in "token")
TOKEN_IN_URL = re.compile(
    rf"(?P<before>[?&;]{_KEY}=|/invites/(?!answer/))(?P<token>[^&;/\s\"'?#]+)", re.IGNORECASE
)


def scrub_tokens(text: str) -> str:
    """`text` with token values replaced, and nothing else changed."""
    return TOKEN_IN_URL.sub(rf"\g<before>{SCRUBBED}", text)


class ScrubTokens(logging.Filter):
    """Replaces token values in a record's message (a request line, a "Not Found: <path>") with
    a placeholder, so access and error logs never hold a working reset, confirmation or invite link."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub_tokens(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True
