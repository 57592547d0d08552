-- Who sends the mail leaving each server (`exim-log spam-sources`, one row per
-- server, kind and source, most messages first). The rules are those of
-- exim_log::report::spam: a message counts when its arrival (<=) was read;
--   login:  the authenticated id of A= (the authenticator when no id is logged);
--   host:   the sending IP of mail received from a host without A= and
--           delivered or deferred to at least one remote host (relayed);
--   user:   U= of a local submission (no H=) that is not a bounce (sender <>);
--   script: the cwd= of the process that submitted a local, non-bounce message.
WITH arrived AS (
    SELECT *, coalesce(host_ip, host_name, host_helo) AS host
    FROM messages
    WHERE arrival_time IS NOT NULL
),
sources AS (
    SELECT server, 'login' AS kind, login AS source FROM arrived
        WHERE login IS NOT NULL
    UNION ALL
    SELECT server, 'host', host FROM arrived
        WHERE login IS NULL AND host IS NOT NULL
          AND remote_deliveries + remote_deferrals > 0
    UNION ALL
    SELECT server, 'user', "user" FROM arrived
        WHERE host IS NULL AND NOT bounce AND "user" IS NOT NULL
    UNION ALL
    SELECT server, 'script', cwd FROM arrived
        WHERE host IS NULL AND NOT bounce AND cwd IS NOT NULL
)
SELECT server, kind, source, count(*) AS messages
FROM sources
GROUP BY server, kind, source
ORDER BY server, kind, messages DESC, source;
