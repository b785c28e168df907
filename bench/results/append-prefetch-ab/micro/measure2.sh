#!/bin/bash
# measure2.sh DB KIND N T: calls ledger_append_batch on pre-generated docs seq 4..T (1..3 warm up);
# backend CPU (utime+stime) and wall per batch, commit (fsync on) included.
db=$1; kind=$2; n=$3; t=$4
s=/tmp/wt-append-pg/bench/run2_$$.sql
call() { echo "select count(*) from ledger_append_batch((select doc from docs where kind = '$kind' and n = $n and seq = $1));"; }
{ echo "select pg_backend_pid() as pid \\gset"; echo "\\setenv PGPID :pid"; echo "\\o /dev/null"
  for i in 1 2 3; do call $i; done
  echo "\\o"; echo "\\! awk '{print \"cpu0\", \$14+\$15}' /proc/\$PGPID/stat"; echo "\\! date +'wall0 %s%N'"; echo "\\o /dev/null"
  for i in $(seq 4 $t); do call $i; done; echo "\\o"
  echo "\\! awk '{print \"cpu1\", \$14+\$15}' /proc/\$PGPID/stat"; echo "\\! date +'wall1 %s%N'"; } > $s
out=$(psql -X -q -h /tmp/wt-append-pg -p 55439 -U postgres -d $db -f $s)
rm -f $s
echo "$out" | awk -v db=$db -v k=$kind -v n=$n -v t=$((t-3)) '/cpu0/{c0=$2}/cpu1/{c1=$2}/wall0/{w0=$2}/wall1/{w1=$2}END{printf "%-6s %-14s n=%-4d batches=%-4d cpu %7.2f ms/batch %6.3f ms/append   wall %7.2f ms/batch\n", db, k, n, t, (c1-c0)*10/t, (c1-c0)*10/t/n, (w1-w0)/1e6/t}'
