"""`python -m openevent.server`: daphne's command line, as the README's production layout runs
it, with its access log written through `logging` so that ScrubTokens keeps tokens out of it."""

import gc
import logging

from daphne import cli
from daphne.access import AccessLogGenerator
from django.urls import get_resolver

logger = logging.getLogger("openevent.access")


class LoggedAccessLog(AccessLogGenerator):
    """daphne's access lines, as daphne formats them, sent to the logger instead of a stream."""

    def write_entry(self, host, date, request, status=None, length=None, ident=None, user=None):
        logger.info(
            '%s %s %s [%s] "%s" %s %s',
            host,
            ident or "-",
            user or "-",
            date.strftime("%d/%b/%Y:%H:%M:%S"),
            request,
            status or "-",
            length or "-",
        )


def load_the_site() -> None:
    """Import the whole site before serving, then leave what it holds out of garbage collections
    (gc.freeze): a full collection would walk its 180,000 objects again and again, and a page of
    a few hundred resources makes enough garbage to start several."""
    import openevent.asgi  # noqa: F401 (sets Django up)

    get_resolver().url_patterns  # noqa: B018 (imports every view and serializer)
    gc.collect()  # the imports' garbage, not to be kept for good
    gc.freeze()


if __name__ == "__main__":
    cli.AccessLogGenerator = LoggedAccessLog  # daphne makes its access log from this name
    load_the_site()
    cli.CommandLineInterface.entrypoint()
