#!/usr/bin/env bash
# The main journey of AMSS through the REST API, against a running `amss dev` (demo data):
# aircraft → program → part → task → reservation → start → part used → compliance sign-off (an electronic
# signature: the signer re-enters their password) → independent inspection → completion.
# Usage: scripts/journey.sh [base-url]   (default http://localhost:8080). Needs curl and jq.
set -euo pipefail
BASE="${1:-http://localhost:8080}/api/v1"
TAIL="N$((RANDOM % 900 + 100))JR"

PASSWORD='ChangeMe123!'
login() {
  curl -sf "$BASE/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1@demo.local\",\"password\":\"$PASSWORD\"}" | jq -r .access_token
}
call() { # call <token> <method> <path> [json] — the response to stdout, and a copy to stderr
  local token="$1" method="$2" path="$3" body="${4:-}" response key
  # One key per distinct request: a rerun of the same call replays, two different items on one path do not clash.
  key="journey-$TAIL-$method-$path-$(printf '%s' "$body" | sha256sum | cut -c1-12)"
  response=$(curl -sS -X "$method" "$BASE$path" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' -H "Idempotency-Key: $key" ${body:+-d "$body"})
  # Not `tee /dev/stderr`: with stderr redirected to a file, each call reopened and truncated it,
  # so `scripts/journey.sh 2>journey.log` kept only the last response.
  printf '%s\n' "$response" >&2
  printf '%s\n' "$response"
}

SCHEDULER=$(login scheduler)
# The second demo mechanic: the first is on the demo's borescope inspection around the time `amss dev` started.
MECHANIC=$(login mechanic2)
MECHANIC_ID=$(curl -sf "$BASE/auth/me" -H "authorization: Bearer $MECHANIC" | jq -r .id)

echo "== 1. a new aircraft, an A320neo (ICAO type A20N, on which the demo mechanic is rated)"
A20N=$(curl -sf "$BASE/aircraft-types?q=A20N" -H "authorization: Bearer $SCHEDULER" \
  | jq -r 'map(select(.designator == "A20N"))[0].id // empty' || true)
AIRCRAFT=$(call "$SCHEDULER" POST /aircraft \
  "{\"tail_number\":\"$TAIL\",\"model\":\"A320neo\"${A20N:+,\"aircraft_type_id\":\"$A20N\"}}" | jq -r .id)

echo "== 2. a weekly calendar program for it"
PROGRAM=$(call "$SCHEDULER" POST /maintenance-programs \
  "{\"name\":\"Weekly check $TAIL\",\"interval_type\":\"calendar\",\"interval_value\":7,\"aircraft_id\":\"$AIRCRAFT\"}" | jq -r .id)

echo "== 3. a part definition and one serialized item"
DEFINITION=$(call "$SCHEDULER" POST /part-definitions "{\"name\":\"Wheel assembly $TAIL\",\"category\":\"landing gear\"}" | jq -r .id)
ITEM=$(call "$SCHEDULER" POST /part-items "{\"part_definition_id\":\"$DEFINITION\",\"serial_number\":\"WA-$TAIL\"}" | jq -r .id)

echo "== 4. a task starting in two minutes, assigned to the mechanic, needing one wheel assembly"
START=$(date -u -d '+2 minutes' +%Y-%m-%dT%H:%M:%SZ)
END=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
if [ -n "$A20N" ]; then
  # The assignment dialog: who is qualified for an A320neo inspection in this window, and free.
  call "$SCHEDULER" GET "/qualified-mechanics?task_type=inspection&aircraft_type_id=$A20N&start_time=$START&end_time=$END" \
    | jq -r '.[] | "  \(.email)  qualified: \(.qualified)  free: \(.free)  \([.missing[].reason] | join(" "))"'
fi
TASK=$(call "$SCHEDULER" POST /maintenance-tasks "{\"aircraft_id\":\"$AIRCRAFT\",\"program_id\":\"$PROGRAM\",\"type\":\"inspection\",
  \"start_time\":\"$START\",\"end_time\":\"$END\",\"assigned_mechanic_id\":\"$MECHANIC_ID\",
  \"required_parts\":[{\"part_definition_id\":\"$DEFINITION\",\"quantity\":1}]}" | jq -er .id)
echo "aircraft status: $(call "$SCHEDULER" GET "/aircraft/$AIRCRAFT" | jq -r .status) (grounded: the confirmed task is inside the lead time)"

echo "== 5. reserve the wheel assembly for the task"
RESERVATION=$(call "$SCHEDULER" POST /part-reservations "{\"task_id\":\"$TASK\",\"part_item_id\":\"$ITEM\"}" | jq -r .id)

echo "== 6. the mechanic starts the task"
call "$MECHANIC" PATCH "/maintenance-tasks/$TASK/state" '{"new_state":"in_progress"}' | jq -e '.state == "in_progress"' >/dev/null

echo "== 7. the mechanic fits the part"
call "$MECHANIC" PATCH "/part-reservations/$RESERVATION/state" '{"new_state":"used"}' | jq -e '.state == "used"' >/dev/null

echo "== 8. the mechanic records and signs off a compliance item (re-entering their password: an electronic signature)"
ITEM_CHECK=$(call "$MECHANIC" POST /compliance-items "{\"task_id\":\"$TASK\",\"description\":\"Wheel nut torque checked\"}" | jq -r .id)
call "$MECHANIC" PATCH "/compliance-items/$ITEM_CHECK/sign-off" "{\"result\":\"pass\",\"password\":\"$PASSWORD\"}" \
  | jq -e '.signed_off and .sign_off_meaning == "performed"' >/dev/null

# The independent inspection needs the demo inspector (inspector@demo.local); older demo data lacks one.
if INSPECTOR=$(login inspector) && [ -n "$INSPECTOR" ] && [ "$INSPECTOR" != null ]; then
  echo "== 8b. a check that requires an independent inspection: signed by the mechanic, inspected by the inspector"
  ITEM_DUP=$(call "$MECHANIC" POST /compliance-items \
    "{\"task_id\":\"$TASK\",\"description\":\"Duplicate inspection: wheel nut torque\",\"requires_inspection\":true}" | jq -r .id)
  call "$MECHANIC" PATCH "/compliance-items/$ITEM_DUP/sign-off" "{\"result\":\"pass\",\"password\":\"$PASSWORD\"}" \
    | jq -e '.inspection_pending' >/dev/null
  call "$INSPECTOR" POST "/compliance-items/$ITEM_DUP/inspect" "{\"password\":\"$PASSWORD\"}" \
    | jq -e '.inspection_meaning == "inspected" and (.inspection_pending | not)' >/dev/null
fi

echo "== 9. the scheduler completes the task ahead of its end time (an override a mechanic may not use)"
call "$SCHEDULER" PATCH "/maintenance-tasks/$TASK/state" \
  '{"new_state":"completed","notes":"Wheel assembly replaced, torque checked","allow_early_completion":true}' \
  | jq -e '.state == "completed"' >/dev/null

if [ -n "$A20N" ]; then
  echo "== 10. completing the task logged the mechanic's hours on the A320neo (recency for the next assignment)"
  call "$MECHANIC" GET "/users/$MECHANIC_ID/recency?source=task" \
    | jq -e --arg task "$TASK" 'map(select(.task_id == $task)) | length == 1' >/dev/null
fi

echo "== 11. the audit trail of the task"
call "$SCHEDULER" GET "/audit-logs?entity_id=$TASK" | jq -r '.[] | "\(.timestamp)  \(.action)  \(.actor)"'
echo "== 12. the due list a planner opens first: overdue first (the demo's FAA AD on N102DA heads it)"
call "$SCHEDULER" GET "/due-list" \
  | jq -r '.[] | "\(.tail_number)  \(.source)  \(.reference // .name)  due \(.due_date // "-")\(if .overdue then "  OVERDUE" else "" end)"'
echo "journey complete: task $TASK"
