"""`python -m openevent.server`: daphne's command line, as the README's production layout runs
it, with its access log written through `logging` so that ScrubTokens keeps tokens out of it."""

import logging

from daphne import cli
from daphne.access import AccessLogGenerator

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


if __name__ == "__main__":
    cli.AccessLogGenerator = LoggedAccessLog  # daphne makes its access log from this name
    cli.CommandLineInterface.entrypoint()
