#!/usr/bin/env bash
# Runs schemathesis against a real `teamgate serve --demo` on a fresh SQLite
# database and fails on any finding: a 5xx, a status, content type or body the
# OpenAPI document (/api/v1/openapi.json) does not describe.
#
# The server listens on a loopback port it picks itself; every request goes
# there and nowhere else. schemathesis calls the API as Demo Co's admin,
# through an admin API key, with the `org` path parameter fixed to Demo Co so
# that generated requests reach the handlers instead of stopping at 404.
#
# Why the run cannot lock itself out (checked before every run in review, and
# after it by the script itself, which fails if the key or the admin is gone):
# - the key's creator, admin@demo.test, is Demo Co's only admin, so demoting,
#   removing or leaving as that admin is refused with 409 `last_admin`;
# - `{user}` and `{id}` are generated UUIDs, which name no member or key of
#   Demo Co, so DELETE and PATCH on them answer 404;
# - `POST /orgs/{org}/leave` with an API key has no member to leave (401);
# - `DELETE /session` ends cookie sessions only, never an API key;
# - the stateful phase (which could feed one answer's ids into the next call)
#   is not run: the document declares no links.
#
# Settings (environment):
#   SCHEMATHESIS_EXAMPLES  examples per operation and phase (default 60)
#   SCHEMATHESIS_SEED      seed for a reproducible run (default 20261204;
#                          `random` for a new one, printed for replay)
#   SCHEMATHESIS_WORKERS   concurrent workers (default 1: with 2, schemathesis
#                          on this machine's CPython 3.11.7 sometimes dies in
#                          `ast.parse` with "AST constructor recursion depth
#                          mismatch", a CPython race between threads)
#   SCHEMATHESIS_CHECKS    the checks (default: the four below)
#   TEAMGATE_BIN           the binary (default target/debug/teamgate, built if missing)
# Needs: schemathesis 4 (`python3 -m pip install 'schemathesis>=4.32,<5'`), curl.
set -euo pipefail
cd "$(dirname "$0")/.."

examples=${SCHEMATHESIS_EXAMPLES:-60}
seed=${SCHEMATHESIS_SEED:-20261204}
workers=${SCHEMATHESIS_WORKERS:-1}
bin=${TEAMGATE_BIN:-target/debug/teamgate}
if [[ $seed == random ]]; then
    seed=$(( (RANDOM << 15) | RANDOM ))
fi

if [[ -z ${TEAMGATE_BIN:-} ]]; then
    cargo build --quiet -p teamgate --bin teamgate
fi

work=$(mktemp -d -t teamgate-schemathesis.XXXXXX)
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    [[ -n ${KEEP_WORK:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "schemathesis.sh: $*" >&2
    if [[ -f $work/server.log ]]; then
        echo "--- last lines of the server log:" >&2
        tail -n 40 "$work/server.log" >&2
    fi
    exit 1
}

# --- the server ------------------------------------------------------------
# Invite limits far above what the run sends, so invites are tested, not 429s.
TEAMGATE_LOG=warn TEAMGATE_INVITES_PER_MEMBER_HOUR=1000000 TEAMGATE_INVITES_PER_ORG_DAY=1000000 \
    "$bin" serve --demo --bind 127.0.0.1:0 \
    --data-dir "$work/data" --database-url "sqlite://$work/data/teamgate.db" \
    >"$work/server.out" 2>"$work/server.log" &
server_pid=$!

base= password=
for _ in $(seq 1 300); do
    kill -0 "$server_pid" 2>/dev/null || fail "the server exited before listening"
    password=$(sed -n 's/^demo password: //p' "$work/server.out" | head -n 1)
    base=$(sed -n 's/^teamgate listening on //p' "$work/server.out" | head -n 1)
    [[ -n $base && -n $password ]] && break
    sleep 0.1
done
[[ -n $base && -n $password ]] || fail "no 'listening on' and 'demo password' lines within 30 s"
case $base in
    http://127.0.0.1:*) ;;
    *) fail "the server listens on $base, not on loopback" ;;
esac
echo "teamgate (demo) at $base, data in $work"

# --- an admin API key --------------------------------------------------------
jar=$work/cookies
json_field() { python3 -c 'import json,sys; print(eval("json.load(sys.stdin)" + sys.argv[1]))' "$1"; }

status=$(curl -sS -o "$work/session.json" -w '%{http_code}' -c "$jar" \
    -H 'Content-Type: application/json' \
    --data "{\"email\":\"admin@demo.test\",\"password\":\"$password\"}" \
    "$base/api/v1/session")
[[ $status == 200 ]] || fail "sign-in as admin@demo.test answered $status"

org=$(curl -sS -b "$jar" "$base/api/v1/me" | json_field '["orgs"][0]["id"]')
[[ $org =~ ^[0-9a-f-]{36}$ ]] || fail "no organisation id in /api/v1/me: $org"

status=$(curl -sS -o "$work/key.json" -w '%{http_code}' -b "$jar" \
    -H 'Content-Type: application/json' -H "Origin: $base" \
    --data '{"name":"schemathesis","role":"admin"}' \
    "$base/api/v1/orgs/$org/api-keys")
[[ $status == 201 ]] || fail "creating the API key answered $status: $(cat "$work/key.json")"
key=$(json_field '["key"]' <"$work/key.json")
export TEAMGATE_SCHEMATHESIS_KEY=$key TEAMGATE_SCHEMATHESIS_ORG=$org

# --- the run -------------------------------------------------------------------
# Secrets come in through the environment, so they are in no file or argument.
python3 scripts/schemathesis_config.py "$base" "$work/data/outbox" >"$work/key-pass.toml" \
    || fail "could not gather the demo organisation's ids"

# The five routes that take only a signed-in person (not a key) get a second
# pass with the session cookie of manager@demo.test, whose leaving, renaming
# or new organisations touch neither the key nor its admin. DELETE /session
# stays with the key pass (a 401 there): ending this session mid-pass would
# leave the rest of the pass signed out; tests/api/session.rs covers it.
status=$(curl -sS -o /dev/null -w '%{http_code}' -c "$work/manager-cookies" \
    -H 'Content-Type: application/json' \
    --data "{\"email\":\"manager@demo.test\",\"password\":\"$password\"}" "$base/api/v1/session")
[[ $status == 200 ]] || fail "sign-in as manager@demo.test answered $status"
export TEAMGATE_SCHEMATHESIS_COOKIE="teamgate_session=$(awk '$6 == "teamgate_session" {print $7}' "$work/manager-cookies")"
export TEAMGATE_SCHEMATHESIS_ORIGIN=$base
cat >"$work/session-pass.toml" <<'TOML'
headers = { Cookie = "${TEAMGATE_SCHEMATHESIS_COOKIE}", Origin = "${TEAMGATE_SCHEMATHESIS_ORIGIN}" }
generation.with-security-parameters = false

[parameters]
"path.org" = "${TEAMGATE_SCHEMATHESIS_ORG}"
TOML

total_requests=0 outcome=0
run_pass() { # NAME CONFIG [schemathesis options]
    local name=$1 config=$2
    shift 2
    echo "== schemathesis, $name: $examples examples per operation and phase, seed $seed, $workers workers"
    local started=$(date +%s) status
    set +e
    # From the scratch folder, so schemathesis's own files (.hypothesis) land there.
    (cd "$work" && schemathesis --config-file "$config" run "$base/api/v1/openapi.json" \
        --url "$base" \
        --checks "${SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance}" \
        --phases examples,coverage,fuzzing \
        --max-examples "$examples" \
        --seed "$seed" \
        --workers "$workers" \
        --request-timeout 10 \
        --suppress-health-check all \
        --report ndjson --report-ndjson-path "$work/$name.ndjson" \
        --no-color "$@") 2>&1 | tee "$work/$name.txt"
    status=${PIPESTATUS[0]}
    set -e
    local requests
    requests=$(python3 - "$work/$name.ndjson" <<'PY'
import json, sys
count = 0
with open(sys.argv[1]) as f:
    for line in f:
        for name, body in json.loads(line).items():
            if name == "ScenarioFinished":
                count += len(body.get("recorder", {}).get("interactions", {}))
print(count)
PY
) || requests=0
    echo "schemathesis, $name: $requests requests in $(( $(date +%s) - started ))s, exit $status"
    total_requests=$(( total_requests + requests ))
    [[ $status == 0 ]] || outcome=$status
}

started=$(date +%s)
run_pass key-pass "$work/key-pass.toml"
run_pass session-pass "$work/session-pass.toml" \
    --include-path-regex '^/api/v1/(me|orgs|orgs/\{org\}/leave)$'

# --- after the run ---------------------------------------------------------------
kill -0 "$server_pid" 2>/dev/null || fail "the server died during the run"
if grep -q 'panicked' "$work/server.log"; then
    fail "the server panicked during the run"
fi
perms=$(curl -sS -H "Authorization: Bearer $key" "$base/api/v1/orgs/$org/me/permissions")
role=$(json_field '["role"]' <<<"$perms") || role=none
[[ $role == admin ]] || fail "the run locked itself out: the key now answers $perms"

echo "schemathesis: $total_requests requests in $(( $(date +%s) - started ))s, seed $seed, exit $outcome"
if [[ $outcome != 0 ]]; then
    fail "schemathesis found problems (replay with SCHEMATHESIS_SEED=$seed)"
fi
