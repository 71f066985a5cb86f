#!/usr/bin/env python3
"""Mints access tokens as the service signs them, for users the bench seeded straight into the database.

Reads user ids, one a line, on stdin; writes one bearer token a line on stdout, in the same order. The key is the
service's Auth:SigningKey (base64), from $BENCH_SIGNING_KEY. Tokens are HS256 JWTs with exactly the claims
src/Infrastructure/Auth/JwtAccessTokenIssuer.cs writes: header {"alg":"HS256","typ":"JWT"}; sub (the user id as a
string), iss and aud "concert", iat/nbf now, exp now + $BENCH_BEARER_LIFETIME seconds (default 3 h, longer than
any bench). No role claim: the bench's users are not operators.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time


def b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def main() -> int:
    key = base64.b64decode(os.environ["BENCH_SIGNING_KEY"].strip(), validate=True)
    if len(key) < 32:
        print("BENCH_SIGNING_KEY must be at least 256 bits", file=sys.stderr)
        return 2
    lifetime = int(os.environ.get("BENCH_BEARER_LIFETIME", "10800"))
    now = int(time.time())
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    out = sys.stdout.buffer
    for line in sys.stdin:
        user_id = line.strip()
        if not user_id:
            continue
        if not user_id.isdigit():
            print(f"not a user id: {user_id!r}", file=sys.stderr)
            return 2
        claims = {"sub": user_id, "iss": "concert", "aud": "concert", "iat": now, "nbf": now, "exp": now + lifetime}
        signing_input = header + b"." + b64url(json.dumps(claims, separators=(",", ":")).encode())
        signature = b64url(hmac.new(key, signing_input, hashlib.sha256).digest())
        out.write(signing_input + b"." + signature + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
