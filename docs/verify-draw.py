#!/usr/bin/env python3
"""Checks an opening's draw: python3 verify-draw.py BASE_URL YOUR_QUEUE_TOKEN [COMMITMENT_YOU_SAVED_BEFORE]"""
import hashlib, hmac, json, sys, urllib.request
base, token = sys.argv[1].rstrip("/"), sys.argv[2]
page = lambda offset: json.load(urllib.request.urlopen(f"{base}/api/waiting-room/draw?offset={offset}&limit=1000"))
draw = page(0); seed = bytes.fromhex(draw["seed"])
assert hashlib.sha256(seed).hexdigest() == draw["commitment"] == (sys.argv[3] if len(sys.argv) > 3 else draw["commitment"]), "seed does not match the commitment"
scores = [s for offset in range(0, draw["total"], 1000) for s in page(offset)["scores"]]
assert len(scores) == draw["total"] and scores == sorted(scores), "the published order is not every score, ascending"
mine = hmac.new(seed, token.encode(), hashlib.sha256).hexdigest()
print(f"seed matches its commitment; your score {mine} is number {scores.index(mine) + 1} of {len(scores)} in the draw")
