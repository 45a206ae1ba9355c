"""Schemathesis hook for the Veriff dialect: signs each generated request as a Veriff client
does, so the fuzzer reaches the handlers instead of stopping at 401.

X-HMAC-SIGNATURE is the hex HMAC-SHA256, keyed with the integration's shared secret
(VERIFF_SHARED_SECRET), of the raw body for POST and PATCH, and of the id in the path for GET
and DELETE. The body is signed as `requests` serialises it (the case itself is left as
generated, so Schemathesis still knows which cases are valid).
"""

import hashlib
import hmac
import os

import schemathesis
from requests.compat import json as requests_json

SECRET = os.environ["VERIFF_SHARED_SECRET"].encode()


def _sign(payload: bytes) -> str:
    return hmac.new(SECRET, payload, hashlib.sha256).hexdigest()


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers if case.headers is not None else {}
    # A case whose headers were made invalid on purpose (the signature left out or garbled)
    # tests that idgate refuses it: it goes as generated. Otherwise the generated value is
    # replaced by the real signature.
    meta = getattr(case, "_meta", None)
    modes = {str(getattr(k, "value", k)): v.mode for k, v in meta.components.items()} if meta else {}
    if getattr(modes.get("header"), "is_negative", False):
        return
    present = [name for name in headers if name.lower() == "x-hmac-signature"]
    if not present:
        return
    for name in present:
        del headers[name]
    method = case.method.upper()
    if method in ("POST", "PATCH"):
        body = case.body
        if isinstance(body, (dict, list, str, int, float, bool)) or body is None:
            # The bytes `requests` will send for `json=body` (its own JSON module and options).
            body = requests_json.dumps(body, allow_nan=False).encode("utf-8")
        if isinstance(body, bytes):
            headers["X-HMAC-SIGNATURE"] = _sign(body)
    else:
        path_id = (case.path_parameters or {}).get("id")
        if isinstance(path_id, str):
            headers["X-HMAC-SIGNATURE"] = _sign(path_id.encode())
    case.headers = headers
