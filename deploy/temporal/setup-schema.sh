#!/bin/sh
# Creates the Temporal databases on first run and brings their schemas up to the server's version on
# every run (idempotent). Runs in temporalio/admin-tools before the server starts.
set -eu

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) schema=/etc/temporal/schema/postgresql/v12/temporal/versioned ;;
    *) schema=/etc/temporal/schema/postgresql/v12/visibility/versioned ;;
  esac
  sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" --db "$db" "$@"; }
  # `create` fails when the database exists (every run after the first); setup-schema fails loudly
  # when it really is missing.
  sql create || echo "database $db not created: it exists already"
  sql setup-schema -v 0.0   # only creates the version tables where missing
  sql update-schema -d "$schema"
done
echo "Temporal schemas are up to date"
