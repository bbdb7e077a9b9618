"""Django's ASGI handler, with each request served in one trip to a worker thread.

Django's own handler moves a request between daphne's event loop and a thread that it starts
for that request: for the request-started signal, into the middleware chain, out of it to
resolve the URL and back for the view, and again to close the response. Every view and
middleware here is synchronous, so those hops buy nothing: on a 50-row list page they cost as
much as the view itself. Here the middleware chain is built synchronous and a request lives,
as under WSGI, on one thread of a long-lived pool (`HTTP_THREADS` of them: requests beyond wait
their turn) from the signal to closing the response; only sending the answer goes back to the
loop. The threads keep their database connections between requests (CONN_MAX_AGE).
"""

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import asgi
from django.http import FileResponse
from django.urls import set_script_prefix

logger = logging.getLogger("django.request")


class ASGIHandler(asgi.ASGIHandler):
    def __init__(self):
        super().__init__()
        self.threads = ThreadPoolExecutor(settings.HTTP_THREADS, thread_name_prefix="http")

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        """Serve the request once a thread is free, unless its client has gone by then. A client's
        `Daphne-Root-Path` header is not trusted: the site is served under FORCE_SCRIPT_NAME."""
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        scope = {**scope, "root_path": "", "headers": with_content_length(scope["headers"], body_file)}
        abandoned = threading.Event()
        serve = sync_to_async(self.serve, thread_sensitive=False, executor=self.threads)
        serving = asyncio.ensure_future(serve(scope, body_file, send, abandoned))
        gone = asyncio.ensure_future(client_gone(receive))
        await asyncio.wait([serving, gone], return_when=asyncio.FIRST_COMPLETED)
        if serving.done():
            gone.cancel()
            serving.result()
        else:  # a request still waiting for its thread is dropped when it gets one; one begun ends
            abandoned.set()
            serving.add_done_callback(log_failure)

    def serve(self, scope, body_file, send, abandoned: threading.Event) -> None:
        """The request's whole life on this thread, as `WSGIHandler.__call__` lives it."""
        try:
            if abandoned.is_set():
                return
            set_script_prefix(asgi.get_script_prefix(scope))
            signals.request_started.send(sender=self.__class__, scope=scope)
            request, response = self.create_request(scope, body_file)
            if request is not None:
                response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
            try:
                async_to_sync(self.send_response)(response, send)
            finally:
                response.close()
        finally:
            body_file.close()


def log_failure(serving: asyncio.Future) -> None:
    """Log what a request whose client has gone failed with: nobody awaits it any more."""
    if not serving.cancelled() and serving.exception() is not None:
        logger.error("A request failed after its client left", exc_info=serving.exception())


async def client_gone(receive) -> None:
    """Return when the client disconnects: after the body, that is all daphne sends."""
    while (await receive())["type"] != "http.disconnect":
        pass


def with_content_length(headers: list, body_file) -> list:
    """The request's headers, with the length of a body that came without one (chunked), which
    Django reads only by its Content-Length."""
    if any(name.lower() == b"content-length" for name, _ in headers):
        return headers
    size = body_file.seek(0, 2)
    body_file.seek(0)
    return [*headers, (b"content-length", str(size).encode())] if size else headers
