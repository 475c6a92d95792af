#!/usr/bin/env bash
# Smoke test of a whole AMSS: boots `amss dev` (embedded PostgreSQL, in-process stand-ins for Redis, unless
# DB_URL / REDIS_ADDR say otherwise), subscribes a webhook, walks the main journey through the REST API
# (scripts/journey.sh: aircraft → program → task → reservation → compliance sign-off → completion) and waits
# for the signed `task_state_changed` webhook of the completion, checking its signature with openssl.
# Exits non-zero on any failure. Usage: scripts/smoke.sh [port]   Needs node, curl, jq and openssl.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${1:-18180}"
HOOK_PORT=$((PORT + 1))
BASE="http://127.0.0.1:$PORT"
WORK="$(mktemp -d)"
DEV_PID=""
HOOK_PID=""
cleanup() {
  [ -n "$DEV_PID" ] && kill "$DEV_PID" 2>/dev/null || true
  [ -n "$HOOK_PID" ] && kill "$HOOK_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "smoke: FAILED: $*" >&2; echo "--- amss dev log (last 40 lines)" >&2; tail -40 "$WORK/dev.log" >&2 || true; exit 1; }

echo "== a webhook receiver on :$HOOK_PORT that keeps every request it gets"
mkdir -p "$WORK/hooks"
node -e '
  const [port, dir] = process.argv.slice(1);
  let n = 0;
  require("node:http").createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      n += 1;
      require("node:fs").writeFileSync(`${dir}/${n}.body`, Buffer.concat(chunks));
      require("node:fs").writeFileSync(`${dir}/${n}.headers`, JSON.stringify(req.headers));
      res.writeHead(204).end();
    });
  }).listen(Number(port), "127.0.0.1");
' "$HOOK_PORT" "$WORK/hooks" &
HOOK_PID=$!

echo "== amss dev on :$PORT"
HTTP_ADDR="127.0.0.1:$PORT" GRPC_ADDR="127.0.0.1:$((PORT + 2))" LOG_LEVEL="${LOG_LEVEL:-warn}" BCRYPT_COST=4 \
  node --import tsx src/cmd/main.ts dev --in-memory >"$WORK/dev.log" 2>&1 &
DEV_PID=$!
for _ in $(seq 1 120); do
  grep -q 'AMSS is ready' "$WORK/dev.log" && break
  kill -0 "$DEV_PID" 2>/dev/null || fail "amss dev exited before it was ready"
  sleep 0.5
done
grep -q 'AMSS is ready' "$WORK/dev.log" || fail "amss dev was not ready within 60 s"

echo "== the tenant admin subscribes the receiver to task state changes"
ADMIN=$(curl -sf "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"tenant-admin@demo.local","password":"ChangeMe123!"}' | jq -r .access_token) || fail "login"
HOOK=$(curl -sf "$BASE/api/v1/webhooks" -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$HOOK_PORT/amss\",\"events\":[\"task_state_changed\"]}") || fail "webhook subscription"
SECRET=$(jq -r .secret <<<"$HOOK")
[ "${#SECRET}" -eq 64 ] || fail "the webhook secret is not 32 bytes of hex"

echo "== the main journey"
scripts/journey.sh "$BASE" >"$WORK/journey.out" 2>"$WORK/journey.log" \
  || { cat "$WORK/journey.out" "$WORK/journey.log" >&2; fail "the journey"; }
grep '^==' "$WORK/journey.out"
TASK=$(sed -n 's/^journey complete: task //p' "$WORK/journey.out")

echo "== waiting for the signed webhook of the completion"
FOUND=""
for _ in $(seq 1 60); do
  for body in "$WORK"/hooks/*.body; do
    [ -e "$body" ] || continue
    if jq -e '.event_type == "task_state_changed" and .data.state == "completed"' "$body" >/dev/null 2>&1; then
      FOUND="$body"; break 2
    fi
  done
  sleep 0.5
done
if [ -z "$FOUND" ]; then
  for body in "$WORK"/hooks/*.body; do [ -e "$body" ] && { cat "$body"; echo; } >&2; done
  fail "no task_state_changed webhook for the completion within 30 s"
fi
HEADERS="${FOUND%.body}.headers"
TS=$(jq -r '."x-webhook-timestamp"' "$HEADERS")
SIGNATURE=$(jq -r '."x-webhook-signature"' "$HEADERS")
EXPECTED="v1=$({ printf '%s.' "$TS"; cat "$FOUND"; } | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)"
[ "$SIGNATURE" = "$EXPECTED" ] || fail "the webhook signature does not verify ($SIGNATURE vs $EXPECTED)"
AGE_MS=$(( $(date +%s%3N) - TS ))
[ "$AGE_MS" -ge 0 ] && [ "$AGE_MS" -lt 300000 ] || fail "the webhook timestamp is outside the 5 minute replay window"
[ "$(jq -r '."x-webhook-event"' "$HEADERS")" = "task_state_changed" ] || fail "X-Webhook-Event"

echo "== stopping amss dev"
kill -TERM "$DEV_PID"
wait "$DEV_PID" || fail "amss dev did not stop cleanly"
DEV_PID=""
echo "smoke test passed: journey completed${TASK:+ (task $TASK)}, webhook delivered and verified"
