#!/bin/bash
# gen_docs.sh DB KIND N COUNT [ACCTS]
db=$1; kind=$2; n=$3; cnt=$4; accts=${5:-4}
P="psql -X -q -h /tmp/wt-append-pg -p 55439 -U postgres -d $db -v ON_ERROR_STOP=1"
if [ $kind = payments ]; then body=$(sed -n '/select jsonb_agg/,/from generate_series/p' payments.sql | sed 's/generate_series(1, :n) g));/generate_series(1, '$n' + 0 * s.s) g/');
else body=$(sed -n '/select jsonb_agg/,/ y) x));/p' transfers.sql | sed 's/generate_series(1, :n) g) y/generate_series(1, '$n' + 0 * s.s) g) y/; s/:accts/'$accts'/g; s/ y) x));/ y) x/'); fi
echo "delete from docs where kind = '$kind$accts' and n = $n; insert into docs select '$kind$accts', $n, s.s, ($body) from generate_series(1, $cnt) s(s);" > gen_$$.sql
$P -f gen_$$.sql; rm gen_$$.sql
