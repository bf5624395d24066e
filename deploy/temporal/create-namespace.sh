#!/bin/sh
# Creates the trajectories' namespace and its custom search attributes (idempotent). Runs in
# temporalio/admin-tools once the server is healthy. The attribute names are the ones the workflows
# upsert (workflows/contracts.py) and the embedded server registers (infrastructure/temporal_server.py).
set -eu
: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${NAMESPACE:=cbct}"
: "${RETENTION:=30d}"

until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  echo "waiting for the Temporal server at $TEMPORAL_ADDRESS"; sleep 2
done

temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1 \
  || temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" --retention "$RETENTION"

# A new namespace reaches every frontend with the next namespace-cache refresh (about 10 s).
attempts=0
until existing=$(temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" 2>/dev/null); do
  attempts=$((attempts + 1))
  [ "$attempts" -lt 60 ] || { echo "namespace $NAMESPACE did not appear"; exit 1; }
  sleep 1
done
for attribute in TrajectoryPhase=Keyword Organisation=Keyword NextDeadline=Datetime; do
  name=${attribute%%=*}
  kind=${attribute#*=}
  if echo "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" \
      --name "$name" --type "$kind"
  fi
done
echo "namespace $NAMESPACE is ready"
