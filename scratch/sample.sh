#!/bin/bash
# samples the bench DB every 2 s
for i in $(seq 1 100); do
  psql -h 127.0.0.1 -U postgres -d campaigns_bench_main -Atc "select to_char(now(),'MI:SS'), (select count(*) from campaigns where status='running'), (select count(*) from campaigns where status='done'), (select count(*) from calls where status='scheduled' and promoted_at is null), (select count(*) from calls where status='scheduled' and promoted_at is not null), (select count(*) from calls where status='dialing'), (select count(*) from calls where status='answered'), (select count(*) from hopper_wakeups), (select count(*) from rollouts where finished_at is null), (select count(*) from targets where has_pending)" 2>/dev/null
  sleep 2
done
