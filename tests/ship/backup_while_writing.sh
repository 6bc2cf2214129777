#!/usr/bin/env bash
# Measures the two online backups docs/operations.md recommends on a WAL database (~120 MB, like the
# store) while another process commits a 4 KiB row every ~1 ms for WRITE_SECONDS: `.backup` restarts
# whenever a commit lands between its steps, `VACUUM INTO` copies in one read transaction.
# Both copies must pass integrity_check. Slow (about WRITE_SECONDS): not in ctest.
set -euo pipefail
seconds=${WRITE_SECONDS:-10}
dir=$(mktemp -d /tmp/cartopull-backup.XXXXXX)
trap 'rm -rf "$dir"' EXIT
db="$dir/cartopull.db"
sqlite3 "$db" "pragma journal_mode=wal; create table t(id integer primary key, b blob);
  with recursive c(x) as (select 1 union all select x + 1 from c where x < 30000)
  insert into t(b) select randomblob(4096) from c;" >/dev/null
python3 - "$db" "$seconds" >"$dir/writer.log" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], timeout=5)
end, n = time.time() + float(sys.argv[2]), 0
while time.time() < end:
    c.execute("insert into t(b) values (randomblob(4096))"); c.commit(); n += 1
    time.sleep(0.001)
print(n)
PY
writer=$!
sleep 0.5
t0=$(date +%s%N)
sqlite3 -cmd ".timeout 5000" "$db" "vacuum into '$dir/vacuum.db'"
t1=$(date +%s%N)
sqlite3 -cmd ".timeout 5000" "$db" ".backup '$dir/backup.db'"
t2=$(date +%s%N)
wait $writer
for copy in vacuum backup; do
  [ "$(sqlite3 "$dir/$copy.db" 'pragma integrity_check')" = ok ] || { echo "backup-test: FAIL: $copy copy corrupt"; exit 1; }
done
echo "backup-test: $(du -m "$db" | cut -f1) MB, $(cat "$dir/writer.log") commits in ${seconds} s by another process"
echo "backup-test: VACUUM INTO $(((t1 - t0) / 1000000)) ms; .backup $(((t2 - t1) / 1000000)) ms; both integrity_check ok"
echo "backup-test: 2 passed, 0 failed"
