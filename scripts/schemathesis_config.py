#!/usr/bin/env python3
"""Writes the schemathesis configuration for scripts/schemathesis.sh.

Reads real ids from the demo organisation (through the admin API key) so that
generated requests reach the handlers of existing agents, campaigns,
conversations, invites and audit events, not only their 404s. The key and the
organisation id stay in the environment (`${...}` in the file).

Lock-out guard: every operation that could end the run's own credentials gets
a fixed, harmless target instead of generated or harvested ids:
- DELETE /api-keys/{id} only ever revokes a second, sacrificial key;
- PATCH and DELETE /members/{user} only ever touch the staff and viewer
  members, never admin@demo.test (the key's creator and the only admin).

Usage: schemathesis_config.py BASE_URL OUTBOX_DIR > schemathesis.toml
(with TEAMGATE_SCHEMATHESIS_KEY and TEAMGATE_SCHEMATHESIS_ORG set).
"""

import json
import os
import pathlib
import re
import sys
import urllib.request

BASE, OUTBOX = sys.argv[1], pathlib.Path(sys.argv[2])
KEY = os.environ["TEAMGATE_SCHEMATHESIS_KEY"]
ORG = os.environ["TEAMGATE_SCHEMATHESIS_ORG"]
if not BASE.startswith("http://127.0.0.1:"):
    sys.exit(f"refusing to call {BASE}: only loopback servers started by the script")


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{BASE}/api/v1/orgs/{ORG}{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {KEY}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def ids(path, field="id"):
    return [item[field] for item in call("GET", f"{path}?limit=20")["items"]]


members = {m["email"]: m["user_id"] for m in call("GET", "/members")["items"]}
call("POST", "/invites", {"email": "schemathesis-invitee@demo.test", "role": "viewer"})
tokens = sorted({m for eml in OUTBOX.glob("**/*.eml")
                 for m in re.findall(r"/invite/([A-Za-z0-9_-]{16,})", eml.read_text(errors="replace"))})
sacrificial_key = call("POST", "/api-keys", {"name": "schemathesis-revocable", "role": "viewer"})["id"]

dictionaries = {
    "chat_agents": ids("/chat-agents"),
    "whatsapp_agents": ids("/whatsapp-agents"),
    "voice_agents": ids("/voice-agents"),
    "campaigns": ids("/campaigns"),
    "conversations": ids("/inbox/conversations"),
    "invites": ids("/invites"),
    "audit_events": ids("/audit"),
    "invite_tokens": tokens,
    "members": list(members.values()),
}

# Half the examples use a real id; the other half stay generated (404 paths).
by_path = {
    "/api/v1/orgs/{org}/chat-agents/{id}": "chat_agents",
    "/api/v1/orgs/{org}/whatsapp-agents/{id}": "whatsapp_agents",
    "/api/v1/orgs/{org}/voice-agents/{id}": "voice_agents",
    "/api/v1/orgs/{org}/campaigns/{id}": "campaigns",
    "/api/v1/orgs/{org}/campaigns/{id}/launch": "campaigns",
    "/api/v1/orgs/{org}/inbox/conversations/{id}/replies": "conversations",
    "/api/v1/orgs/{org}/inbox/conversations/{id}/assign": "conversations",
    "/api/v1/orgs/{org}/inbox/conversations/{id}/close": "conversations",
    "/api/v1/orgs/{org}/invites/{id}": "invites",
    "/api/v1/orgs/{org}/invites/{id}/resend": "invites",
    "/api/v1/orgs/{org}/audit/{id}": "audit_events",
    "/api/v1/invites/{token}": "invite_tokens",
}

out = [
    "# Written by scripts/schemathesis_config.py for one run; secrets stay in the environment.",
    'headers = { Authorization = "Bearer ${TEAMGATE_SCHEMATHESIS_KEY}" }',
    "# `events` is a server-sent stream that never ends by itself: read one event at most.",
    "max-stream-events = 1",
    "",
    "[parameters]",
    '"path.org" = "${TEAMGATE_SCHEMATHESIS_ORG}"',
    "",
]
for name, values in dictionaries.items():
    if values:
        out += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]


def operation(path, method=None, parameters=None, extra=()):
    out.append("[[operations]]")
    out.append(f"include-path = {json.dumps(path)}")
    if method:
        out.append(f"include-method = {json.dumps(method)}")
    out.extend(extra)
    if parameters:
        out.append(f"parameters = {{ {', '.join(f'{json.dumps(k)} = {v}' for k, v in parameters.items())} }}")
    out.append("")


def half(name):
    return f'{{ dictionary = "{name}", probability = 0.5 }}'


for path, name in by_path.items():
    if dictionaries[name]:
        parameters = {"path.token" if path.endswith("{token}") else "path.id": half(name)}
        if path.endswith("/assign"):
            parameters["body.user_id"] = half("members")
        operation(path, parameters=parameters)
operation("/api/v1/orgs/{org}/check", "POST", {"body.user_id": half("members")})

# The lock-out guard (see the docstring).
operation("/api/v1/orgs/{org}/api-keys/{id}", "DELETE", {"path.id": json.dumps(sacrificial_key)})
operation("/api/v1/orgs/{org}/members/{user}", "PATCH",
          {"path.user": json.dumps(members["staff@demo.test"])})
operation("/api/v1/orgs/{org}/members/{user}", "DELETE",
          {"path.user": json.dumps(members["viewer@demo.test"])})
# The stream's first event comes only when the caller's role changes: a
# short timeout keeps each call from waiting out the default.
operation("/api/v1/orgs/{org}/events", "GET", extra=["request-timeout = 1"])

print("\n".join(out))
