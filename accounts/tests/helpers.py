import re

RESET_LINK = re.compile(r"(?P<url>https?://\S+/reset-password\?token=(?P<token>[\w-]+))")


def reset_link_in(message) -> re.Match:
    """The reset link of a sent password reset email (its plain text part)."""
    match = RESET_LINK.search(message.body)
    assert match, f"no reset link in: {message.body}"
    return match


def link_token(message, path: str, separator: str = "") -> str:
    """The token at the end of the link to `path` (then `separator`) in a sent email's text part."""
    match = re.search(rf"https?://\S+{re.escape(path + separator)}(?P<token>[\w:-]+)/?", message.body)
    assert match, f"no {path} link in: {message.body}"
    return match["token"]
