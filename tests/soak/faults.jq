# faults.sh's analysis of eppd-bench's report (--json-records): where requests went before,
# during and after each fault, and whether each failed request is explained by a fault.
#   jq --argjson phases PHASES --argjson limits LIMITS -f faults.jq bench.json
# PHASES: [{name, server (its name), victim ("ip:port"), t0, t1 (Unix seconds: fault on, fault over),
#           detect (seconds eppd may take to notice), codes (error codes the fault explains),
#           before (seconds before t0 a failed request may have started: in flight)}]
# LIMITS: {faultShare: {NAME: max share}, recoveryFraction, recoveryDelay, minBaselineShare}
# Prints {baseline, phases: [...], unexplained: [...], checks: [{ok, what}]}.

.runs[0] as $run
| ($run.started_unix_s) as $zero
| [$run.records[] | select(.endpoint != "")] as $routed
# Share of the requests routed in [from, to) (seconds of the run) that went to `victim`.
| def window($from; $to; $victim):
    [$routed[] | select(.start_s >= $from and .start_s < $to)] as $in
    | {requests: ($in | length),
       victim: ([$in[] | select(.endpoint == $victim)] | length)}
    | . + {share: (if .requests > 0 then .victim / .requests else null end)};
  def pct: if . == null then "-" else (. * 1000 | round / 10 | tostring) + "%" end;
  [$phases[] | . + {t0r: (.t0 - $zero), t1r: (.t1 - $zero)}] as $ph
| ($ph[0].t0r) as $baselineEnd
| [$ph | to_entries[] | .key as $i | .value
   | . + {next: (if $i + 1 < ($ph | length) then $ph[$i + 1].t0r
                 else ($run.records | map(.start_s) | max) end)}
   | . as $p
   | . + {lastPickAfter: ([$routed[] | select(.endpoint == $p.victim and .start_s >= $p.t0r
                                              and .start_s < $p.t1r) | .start_s - $p.t0r] | max),
          firstPickAfter: ([$routed[] | select(.endpoint == $p.victim and .start_s >= $p.t1r)
                            | .start_s - $p.t1r] | min),
          baseline: window(2; $baselineEnd - 1; .victim),
          fault: window(.t0r + .detect; .t1r; .victim),
          recovery: window(.t1r + $limits.recoveryDelay; .next; .victim)}] as $results
| [$run.records[] | select(.error != null) as $r
   | select([$ph[] | select(.victim == $r.endpoint and any(.codes[]; . == $r.error)
                           and $r.start_s >= .t0r - .before and $r.start_s <= .t0r + .detect)]
            | length == 0)
   | {id, error, endpoint, start_s, detail}] as $unexplained
| {
    zero: $zero,
    requests: ($run.records | length),
    ok: $run.ok,
    errors: $run.errors,
    phases: [$results[] | {name, server, victim, t0: .t0r, t1: .t1r, lastPickAfter, firstPickAfter,
                           baseline, fault, recovery}],
    unexplained: $unexplained,
    checks: (
      [$results[] |
        {ok: (.baseline.share != null and .baseline.share >= $limits.minBaselineShare),
         what: "\(.name): \(.victim) had \(.baseline.share | pct) of \(.baseline.requests) requests before any fault (≥ \($limits.minBaselineShare | pct) needed for the test to mean anything)"},
        {ok: (.fault.share != null and .fault.share <= $limits.faultShare[.name]),
         what: "\(.name): eppd routed around \(.victim): \(.fault.share | pct) of \(.fault.requests) requests from \(.detect) s after the fault to its end (≤ \($limits.faultShare[.name] | pct) allowed)"},
        {ok: (.recovery.share != null
              and .recovery.share >= $limits.recoveryFraction * .baseline.share),
         what: "\(.name): \(.victim) served again: \(.recovery.share | pct) of \(.recovery.requests) requests from \($limits.recoveryDelay) s after the fault ended (≥ \($limits.recoveryFraction * 100 | round)% of its \(.baseline.share | pct) before)"}]
      + [{ok: ($unexplained | length == 0),
          what: "every failed request is explained by a fault (the victim, in its window, with its error code): \($run.requests - $run.ok) failed, \($unexplained | length) unexplained"}]
    )
  }
