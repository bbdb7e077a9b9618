"""Fakes of the Stripe and PayPal HTTP APIs on 127.0.0.1, for tests that drive the real SDKs.

`FakeStripe` serves what stripe 16 sends for Checkout Sessions, Refunds and Charges, plus a hosted checkout
page; `FakePayPal` serves what paypalrestsdk 1.13 sends for the OAuth token and v1 Payments, plus an approval
page.
Both are context managers: `with FakeStripe() as fake: ... fake.url ...`.
"""

import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import traceback
from base64 import b64decode
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode

CRASH = {
    "error": {"type": "api_error", "message": "The fake vendor crashed"},
    "name": "INTERNAL_SERVICE_ERROR",
}


class ApiError(ValueError):
    """An error answer: HTTP `status` and `body` (dict for JSON, str for HTML). Test-side methods raise it."""

    def __init__(self, status: int, body: dict | str):
        super().__init__(f"{status} {body}")
        self.status, self.body = status, body


def parse_form(text: str) -> dict:
    """Stripe's form encoding (`a[b][0][c]=v`) into nested dicts; dicts with all-digit keys become lists."""
    root: dict = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        *parents, leaf = key.replace("]", "").split("[")
        node = root
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return _listify(root)


def _listify(node):
    if not isinstance(node, dict):
        return node
    node = {key: _listify(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


def _with_query(url: str, params: dict) -> str:
    separator = "" if url.endswith(("?", "&")) else "&" if "?" in url else "?"
    return url + separator + urlencode(params)


def _html(title: str, body: str) -> str:
    title = html.escape(title)
    head = f"<head><meta charset=utf-8><title>{title}</title></head>"
    return f"<!doctype html><html>{head}<body><h1>{title}</h1>{body}</body></html>"


class _Handler(BaseHTTPRequestHandler):
    fake: "_FakeVendor"

    def _serve(self):
        try:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))  # also GET's `null`
            try:
                status, body, headers = self.fake._handle(self.command, self.path, raw, self.headers)
            except Exception:
                traceback.print_exc()
                status, body = 500, json.dumps(CRASH).encode()
                headers = {"Content-Type": "application/json", **self.fake.error_headers}
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) before the answer

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, *args):
        pass


class _FakeVendor:
    """Shared plumbing: server thread, lock, id counters, request capture, delay, idempotent replay."""

    error_headers: dict = {}
    replay_headers: dict = {}
    malformed: dict = {}

    def __init__(self):
        self.url = ""
        self.requests: list[tuple[str, str, dict, dict]] = []  # (method, path, params, headers)
        self.delay = 0.0
        self.refund_error: str | None = None
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}
        self._replies: dict = {}
        self._server: ThreadingHTTPServer | None = None

    def start(self):
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"fake": self}))
            self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
            threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def _next(self, kind: str) -> int:
        self._counters[kind] = self._counters.get(kind, 0) + 1
        return self._counters[kind]

    def _handle(self, method, target, raw, headers):
        path, _, query = target.partition("?")
        with self._lock:
            try:
                params = self._params(method, query, raw, headers)
                self.requests.append((method, path, params, dict(headers)))
                status, payload, extra = self._reply(method, path, params, headers)
            except ApiError as error:
                status, payload, extra = error.status, error.body, {}
            if isinstance(payload, str):
                body, extra = payload.encode(), {"Content-Type": "text/html; charset=utf-8", **extra}
            else:
                body, extra = json.dumps(payload).encode(), {"Content-Type": "application/json", **extra}
            if status >= 400:
                extra.update(self.error_headers)
        if self.delay and path.startswith("/v1/"):  # after processing: a timed-out call may still have worked
            time.sleep(self.delay)
        return status, body, extra

    def _params(self, method, query, raw, headers) -> dict:
        if method == "GET":
            return parse_form(query)
        if "json" not in (headers.get("Content-Type") or ""):
            return parse_form(raw.decode())
        try:
            params = json.loads(raw or b"null") or {}
        except ValueError:
            raise ApiError(400, self.malformed) from None
        if not isinstance(params, dict):
            raise ApiError(400, self.malformed)
        return params

    def _reply(self, method, path, params, headers):
        self._authorize(path, headers)
        key = self._idempotency_key(method, path, headers)
        if key is not None and key in self._replies:
            fingerprint, (status, payload, extra) = self._replies[key]
            if fingerprint != (path, params):
                self._conflict(key)
            return status, copy.deepcopy(payload), {**extra, **self.replay_headers}
        status, payload, *extra = self._route(method, path, params, headers)
        extra = extra[0] if extra else {}
        if key is not None and status < 300:  # like the vendors, only successes are replayed
            self._replies[key] = ((path, params), (status, copy.deepcopy(payload), extra))
        return status, payload, extra

    def _authorize(self, path, headers):
        raise NotImplementedError

    def _idempotency_key(self, method, path, headers):
        raise NotImplementedError

    def _conflict(self, key):
        pass

    def _route(self, method, path, params, headers):
        raise NotImplementedError


def _stripe_error(status, message, code=None, param=None, kind="invalid_request_error") -> ApiError:
    error = {"type": kind, "code": code, "message": message, "param": param}
    return ApiError(status, {"error": {key: value for key, value in error.items() if value}})


def _stripe_int(value, param: str, minimum: int = 0) -> int:
    if value is None:
        raise _stripe_error(400, f"Missing required param: {param}.", "parameter_missing", param)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < minimum:
        raise _stripe_error(400, f"Invalid integer: {value}", "parameter_invalid_integer", param)
    return number


class FakeStripe(_FakeVendor):
    """Checkout Sessions, PaymentIntents, Charges and Refunds of the Stripe API, in memory."""

    error_headers = {"Stripe-Should-Retry": "false"}
    replay_headers = {"Idempotent-Replayed": "true"}
    api_version = "2026-10-28.endive"

    def __init__(self, secret_key: str = "sk_test_fake", webhook_secret: str = "whsec_fake"):  # noqa: S107
        super().__init__()
        self.secret_key, self.webhook_secret = secret_key, webhook_secret
        self._sessions: dict[str, dict] = {}
        self._items: dict[str, list[str]] = {}
        self._intents: dict[str, dict] = {}
        self._charges: dict[str, dict] = {}
        self._refunds: dict[str, dict] = {}

    # Test-side methods.
    def pay(self, session_id: str, amount: int | None = None, currency: str | None = None) -> dict:
        """Pay the session (with another amount or currency to simulate a mismatch); returns the session."""
        with self._lock:
            return copy.deepcopy(self._pay(session_id, amount, currency))

    def expire(self, session_id: str) -> dict:
        with self._lock:
            session = self._find(self._sessions, "checkout.session", session_id)
            if session["status"] != "open":
                raise _stripe_error(400, "Only Checkout Sessions with a status of `open` can be expired.")
            session["status"] = "expired"
            return copy.deepcopy(session)

    def refund_in_dashboard(self, charge_id: str, amount: int | None = None) -> dict:
        """A refund made on Stripe's side, not through our API calls (`refund_error` does not apply)."""
        with self._lock:
            return copy.deepcopy(self._refund(self._find(self._charges, "charge", charge_id), amount, {}))

    def session(self, session_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._find(self._sessions, "checkout.session", session_id))

    def event(self, event_type: str, obj: dict, *, secret: str | None = None, timestamp: int | None = None):
        """A webhook `(payload bytes, Stripe-Signature header)`; `secret`/`timestamp` make bad ones."""
        with self._lock:
            number = self._next("evt")
        stamp = int(time.time()) if timestamp is None else int(timestamp)
        event = {
            "id": f"evt_{number}",
            "object": "event",
            "api_version": self.api_version,
            "created": stamp,
            "type": event_type,
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
        }
        payload = json.dumps(event).encode()
        key = (self.webhook_secret if secret is None else secret).encode()
        signature = hmac.new(key, f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
        return payload, f"t={stamp},v1={signature}"

    # The HTTP side.
    def _authorize(self, path, headers):
        if path.startswith("/v1/") and headers.get("Authorization") != f"Bearer {self.secret_key}":
            raise _stripe_error(401, "Invalid API Key provided")

    def _idempotency_key(self, method, path, headers):
        return headers.get("Idempotency-Key") if method == "POST" and path.startswith("/v1/") else None

    def _conflict(self, key):
        raise _stripe_error(
            400,
            "Keys for idempotent requests can only be used with the same parameters they were first used "
            f"with. Try using a key other than '{key}' if you meant to execute a different request.",
            kind="idempotency_error",
        )

    def _route(self, method, path, params, headers):
        expand = params.get("expand") or []
        match (method, *path.strip("/").split("/")):
            case "POST", "v1", "checkout", "sessions":
                return 200, self._create_session(params)
            case "GET", "v1", "checkout", "sessions", session_id:
                session = dict(self._find(self._sessions, "checkout.session", session_id))
                if "payment_intent" in expand and session["payment_intent"]:
                    session["payment_intent"] = self._intents[session["payment_intent"]]
                return 200, session
            case "POST", "v1", "refunds":
                return 200, self._create_refund(params)
            case "GET", "v1", "charges", charge_id:
                charge = dict(self._find(self._charges, "charge", charge_id))
                if "refunds" in expand:  # since API 2022-11-15 only when expanded
                    refunds = [refund for refund in self._refunds.values() if refund["charge"] == charge_id]
                    url = f"/v1/charges/{charge_id}/refunds"
                    charge["refunds"] = {"object": "list", "data": refunds, "has_more": False, "url": url}
                return 200, charge
            case "GET", "checkout", session_id:
                return 200, self._page(self._find(self._sessions, "checkout.session", session_id))
            case "POST", "checkout", session_id, "pay":
                success_url = self._pay(session_id)["success_url"]
                return 303, "", {"Location": success_url.replace("{CHECKOUT_SESSION_ID}", session_id)}
        raise _stripe_error(404, f"Unrecognized request URL ({method}: {path}).")

    def _find(self, table: dict, kind: str, key: str) -> dict:
        if key not in table:
            raise _stripe_error(404, f"No such {kind}: '{key}'", "resource_missing", "id")
        return table[key]

    def _create_session(self, params):
        for name in ("mode", "success_url", "line_items"):
            if not params.get(name):
                raise _stripe_error(400, f"Missing required param: {name}.", "parameter_missing", name)
        if params["mode"] != "payment" or not isinstance(params["line_items"], list):
            raise _stripe_error(400, "FakeStripe only supports mode=payment with price_data line items.")
        total, currencies, names = 0, set(), []
        for index, item in enumerate(params["line_items"]):
            price, where = item.get("price_data") or {}, f"line_items[{index}]"
            name = (price.get("product_data") or {}).get("name")
            for param, value in (("product_data][name", name), ("currency", price.get("currency"))):
                if not value:
                    param = f"{where}[price_data][{param}]"
                    raise _stripe_error(400, f"Missing required param: {param}.", "parameter_missing", param)
            quantity = _stripe_int(item.get("quantity"), f"{where}[quantity]", minimum=1)
            total += _stripe_int(price.get("unit_amount"), f"{where}[price_data][unit_amount]") * quantity
            currencies.add(price["currency"].lower())
            names.append(f"{quantity} x {name}")
        if len(currencies) > 1:
            raise _stripe_error(400, "All line items must use the same currency.", param="line_items")
        now = int(time.time())
        expires_at = _stripe_int(params.get("expires_at", now + 86400), "expires_at")
        if not now + 1800 - 60 <= expires_at <= now + 86400 + 60:
            message = "The `expires_at` timestamp must be 30 minutes to 24 hours after session creation."
            raise _stripe_error(400, message, "parameter_invalid", "expires_at")
        session_id = f"cs_test_{self._next('cs')}"
        self._items[session_id] = names
        self._sessions[session_id] = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"{self.url}/checkout/{session_id}",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": total,
            "currency": currencies.pop(),
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "customer_details": None,
            "metadata": params.get("metadata") or {},
            "payment_intent": None,
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "expires_at": expires_at,
            "created": now,
            "livemode": False,
        }
        return self._sessions[session_id]

    def _pay(self, session_id, amount=None, currency=None):
        session = self._find(self._sessions, "checkout.session", session_id)
        if session["status"] != "open":
            raise _stripe_error(400, f"This Checkout Session is {session['status']}, it cannot be paid.")
        amount = session["amount_total"] if amount is None else int(amount)
        currency, number, now = (currency or session["currency"]).lower(), self._next("pi"), int(time.time())
        intent_id, charge_id = f"pi_{number}", f"ch_{number}"
        self._intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "status": "succeeded",
            "amount": amount,
            "amount_received": amount,
            "currency": currency,
            "latest_charge": charge_id,
            "created": now,
            "livemode": False,
        }
        self._charges[charge_id] = {
            "id": charge_id,
            "object": "charge",
            "status": "succeeded",
            "paid": True,
            "captured": True,
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "refunded": False,
            "currency": currency,
            "payment_intent": intent_id,
            "created": now,
            "livemode": False,
        }
        session.update(status="complete", payment_status="paid", payment_intent=intent_id)
        session.update(amount_total=amount, currency=currency)
        session["customer_details"] = {"email": session["customer_email"]}
        return session

    def _create_refund(self, params):
        if self.refund_error:
            raise _stripe_error(400, self.refund_error, "charge_already_refunded")
        if not params.get("payment_intent"):
            message = "Missing required param: payment_intent."
            raise _stripe_error(400, message, "parameter_missing", "payment_intent")
        intent = self._find(self._intents, "payment_intent", params["payment_intent"])
        amount = _stripe_int(params["amount"], "amount", minimum=1) if "amount" in params else None
        return self._refund(self._charges[intent["latest_charge"]], amount, params.get("metadata") or {})

    def _refund(self, charge, amount, metadata):
        left = charge["amount"] - charge["amount_refunded"]
        if left == 0:
            message = f"Charge {charge['id']} has already been refunded."
            raise _stripe_error(400, message, "charge_already_refunded")
        amount = left if amount is None else amount
        if amount > left:
            message = f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
            raise _stripe_error(400, message, "amount_too_large", "amount")
        refund_id = f"re_{self._next('re')}"
        self._refunds[refund_id] = {
            "id": refund_id,
            "object": "refund",
            "status": "succeeded",
            "amount": amount,
            "currency": charge["currency"],
            "payment_intent": charge["payment_intent"],
            "charge": charge["id"],
            "metadata": metadata,
            "reason": None,
            "created": int(time.time()),
        }
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        return self._refunds[refund_id]

    def _page(self, session):
        session_id, cancel_url = session["id"], session["cancel_url"]
        items = "".join(f"<li>{html.escape(item)}</li>" for item in self._items[session_id])
        if session["status"] == "open":
            action = f'<form method="post" action="/checkout/{session_id}/pay"><button>Pay</button></form>'
        else:
            action = f"<p>This Checkout Session is {session['status']}.</p>"
        cancel = f'<a href="{html.escape(cancel_url)}">Cancel</a>' if cancel_url else ""
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        return _html(f"Pay {amount}", f"<ul>{items}</ul>{action}{cancel}")


def _paypal_error(status, name, message, **extra) -> ApiError:
    return ApiError(status, {"name": name, "message": message, "debug_id": secrets.token_hex(7), **extra})


def _paypal_total(value) -> bool:
    """PayPal amounts are strings like "25" or "25.00": at most 2 decimals, above zero."""
    return isinstance(value, str) and bool(re.fullmatch(r"\d{1,9}(\.\d\d?)?", value)) and Decimal(value) > 0


def _paypal_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakePayPal(_FakeVendor):
    """The OAuth token and the v1 Payments API (payment, execute, sale refund) of PayPal, in memory."""

    malformed = {"name": "MALFORMED_REQUEST", "message": "Incoming JSON request does not map to API request"}

    def __init__(self, client_id: str = "paypal-client", client_secret: str = "paypal-secret"):  # noqa: S107
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self._tokens: set[str] = set()
        self._payments: dict[str, dict] = {}
        self._sales: dict[str, dict] = {}
        self._refunds: dict[str, dict] = {}
        self.sale_state = "completed"  # what an executed payment's sale is at first ("pending": an eCheck)

    # Test-side methods.
    def complete_sale(self, sale_id: str) -> None:
        """A pending sale's money arrives."""
        with self._lock:
            self._sales[sale_id]["state"] = "completed"

    def approve(self, payment_id: str, email: str = "buyer@example.com") -> dict:
        """The payer approves: returns the query the return URL gets (`paymentId`, `token`, `PayerID`)."""
        with self._lock:
            return self._approve(self._payment(payment_id), email)

    def payment(self, payment_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._payment(payment_id))

    # The HTTP side.
    def _authorize(self, path, headers):
        if path == "/v1/oauth2/token" or not path.startswith("/v1/"):
            return
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        if scheme != "Bearer" or token not in self._tokens:  # the SDK retries 401s forever: only bad tokens
            raise ApiError(401, {"error": "invalid_token", "error_description": "Token verification failed"})

    def _idempotency_key(self, method, path, headers):
        request_id = headers.get("PayPal-Request-Id")  # the token call carries it too: not a key there
        if method == "POST" and path.startswith("/v1/payments/") and request_id:
            return path, request_id
        return None

    def _route(self, method, path, params, headers):
        match (method, *path.strip("/").split("/")):
            case "POST", "v1", "oauth2", "token":
                return 200, self._token(params, headers)
            case "POST", "v1", "payments", "payment":
                return 201, self._create_payment(params)
            case "GET", "v1", "payments", "payment", payment_id:
                return 200, self._payment(payment_id)
            case "POST", "v1", "payments", "payment", payment_id, "execute":
                return 200, self._execute(self._payment(payment_id), params.get("payer_id"))
            case "POST", "v1", "payments", "sale", sale_id, "refund":
                return 201, self._refund(sale_id, params.get("amount"))
            case "GET", "checkoutnow":
                return 200, self._page(self._by_token(params.get("token")))
            case "POST", "checkoutnow", token, "approve":
                payment = self._by_token(token)
                query = self._approve(payment, "buyer@example.com")
                return 303, "", {"Location": _with_query(payment["redirect_urls"]["return_url"], query)}
        raise _paypal_error(404, "NOT_FOUND", f"No route for {method} {path}.")

    def _payment(self, payment_id):
        if payment_id not in self._payments:
            raise _paypal_error(404, "INVALID_RESOURCE_ID", "Requested resource ID was not found.")
        return self._payments[payment_id]

    def _by_token(self, token):
        return self._payment("PAYID-" + (token or "").removeprefix("EC-"))

    def _token(self, params, headers):
        scheme, _, encoded = (headers.get("Authorization") or "").partition(" ")
        try:
            credentials = b64decode(encoded).decode() if scheme == "Basic" else ""
        except ValueError:
            credentials = ""
        if credentials != f"{self.client_id}:{self.client_secret}":
            error = {"error": "invalid_client", "error_description": "Client Authentication failed"}
            raise ApiError(401, error)
        if params.get("grant_type") != "client_credentials":
            raise ApiError(400, {"error": "unsupported_grant_type", "error_description": "Grant Type NULL"})
        token = f"A21AA-fake-{self._next('token')}"
        self._tokens.add(token)
        scope = " ".join(f"https://uri.paypal.com/services/payments/{name}" for name in ("payment", "refund"))
        return {"scope": scope, "access_token": token, "token_type": "Bearer", "expires_in": 32400}

    def _create_payment(self, body):
        details = []
        if body.get("intent") != "sale":
            details.append({"field": "intent", "issue": "FakePayPal only supports intent sale"})
        if (body.get("payer") or {}).get("payment_method") != "paypal":
            details.append({"field": "payer.payment_method", "issue": "Must be paypal"})
        urls = body.get("redirect_urls") or {}
        for name in ("return_url", "cancel_url"):
            if not urls.get(name):
                details.append({"field": f"redirect_urls.{name}", "issue": "This field required."})
        transactions = copy.deepcopy(body.get("transactions") or [])
        if not transactions:
            details.append({"field": "transactions", "issue": "This field required."})
        for index, transaction in enumerate(transactions):
            amount = transaction.get("amount") or {}
            if not _paypal_total(amount.get("total")):
                issue = "Currency amount must be a string above zero with at most 2 decimal places"
                details.append({"field": f"transactions[{index}].amount.total", "issue": issue})
            if not amount.get("currency"):
                field = f"transactions[{index}].amount.currency"
                details.append({"field": field, "issue": "Required field missing"})
            transaction["related_resources"] = []
        if details:
            raise _paypal_error(400, "VALIDATION_ERROR", "Invalid request - see details", details=details)
        number = self._next("payment")
        payment_id, link = f"PAYID-{number}", f"{self.url}/v1/payments/payment/PAYID-{number}"
        approval_url = f"{self.url}/checkoutnow?token=EC-{number}"
        self._payments[payment_id] = {
            "id": payment_id,
            "intent": "sale",
            "state": "created",
            "payer": {"payment_method": "paypal"},
            "transactions": transactions,
            "redirect_urls": {"return_url": urls["return_url"], "cancel_url": urls["cancel_url"]},
            "create_time": _paypal_now(),
            "links": [
                {"href": link, "rel": "self", "method": "GET"},
                {"href": approval_url, "rel": "approval_url", "method": "REDIRECT"},
                {"href": f"{link}/execute", "rel": "execute", "method": "POST"},
            ],
        }
        return self._payments[payment_id]

    def _approve(self, payment, email):
        if payment["state"] != "created":
            raise _paypal_error(400, "PAYMENT_ALREADY_DONE", "Payment has been done already for this cart.")
        info = payment["payer"].get("payer_info")
        if info is None:  # approving twice keeps the first payer
            info = {"email": email, "first_name": "Test", "last_name": "Buyer", "country_code": "DE"}
            info["payer_id"] = f"PAYER{self._next('payer')}"
            payment["payer"].update(status="VERIFIED", payer_info=info)
        token = "EC-" + payment["id"].removeprefix("PAYID-")
        return {"paymentId": payment["id"], "token": token, "PayerID": info["payer_id"]}

    def _execute(self, payment, payer_id):
        if payment["state"] == "approved":
            raise _paypal_error(400, "PAYMENT_ALREADY_DONE", "Payment has been done already for this cart.")
        info = payment["payer"].get("payer_info")
        if info is None or payer_id != info["payer_id"]:
            raise _paypal_error(400, "PAYMENT_NOT_APPROVED_FOR_EXECUTION", "Payer has not approved payment")
        now = _paypal_now()
        payment.update(state="approved", update_time=now)
        for transaction in payment["transactions"]:
            amount = {"total": transaction["amount"]["total"], "currency": transaction["amount"]["currency"]}
            sale_id = f"SALE-{self._next('sale')}"
            self._sales[sale_id] = {
                "id": sale_id,
                "state": self.sale_state,
                "amount": amount,
                "payment_mode": "INSTANT_TRANSFER",
                "parent_payment": payment["id"],
                "create_time": now,
                "update_time": now,
            }
            transaction["related_resources"] = [{"sale": self._sales[sale_id]}]
        return payment

    def _refund(self, sale_id, amount):
        if self.refund_error:
            raise _paypal_error(400, "TRANSACTION_REFUSED", self.refund_error)
        if sale_id not in self._sales:
            raise _paypal_error(404, "INVALID_RESOURCE_ID", "Requested resource ID was not found.")
        sale = self._sales[sale_id]
        currency = sale["amount"]["currency"]
        done = [Decimal(r["amount"]["total"]) for r in self._refunds.values() if r["sale_id"] == sale_id]
        left = Decimal(sale["amount"]["total"]) - sum(done)
        valid = amount is None or (_paypal_total(amount.get("total")) and amount.get("currency") == currency)
        if not valid:
            details = [{"field": "amount", "issue": f"Must be a total above zero in {currency}"}]
            raise _paypal_error(400, "VALIDATION_ERROR", "Invalid request - see details", details=details)
        value = left if amount is None else Decimal(amount["total"])
        if left == 0 or value > left:
            message = f"Refund of {value} exceeds the {left} left on the sale"
            raise _paypal_error(400, "TRANSACTION_REFUSED", message)
        refund_id, now = f"REFUND-{self._next('refund')}", _paypal_now()
        self._refunds[refund_id] = refund = {
            "id": refund_id,
            "state": "completed",
            "amount": {"total": f"{value:.2f}", "currency": currency},
            "sale_id": sale_id,
            "parent_payment": sale["parent_payment"],
            "create_time": now,
            "update_time": now,
        }
        sale.update(state="refunded" if value == left else "partially_refunded", update_time=now)
        for transaction in self._payments[sale["parent_payment"]]["transactions"]:
            if {"sale": sale} in transaction["related_resources"]:
                transaction["related_resources"].append({"refund": refund})
        return refund

    def _page(self, payment):
        amount, token = payment["transactions"][0]["amount"], "EC-" + payment["id"].removeprefix("PAYID-")
        description = html.escape(payment["transactions"][0].get("description") or "")
        if payment["state"] == "created":
            action = f'<form method="post" action="/checkoutnow/{token}/approve"><button>Pay</button></form>'
        else:
            action = "<p>This payment is already done.</p>"
        cancel = html.escape(_with_query(payment["redirect_urls"]["cancel_url"], {"token": token}))
        body = f'<p>{description}</p>{action}<a href="{cancel}">Cancel</a>'
        return _html(f"Pay {amount['total']} {amount['currency']} with PayPal", body)
