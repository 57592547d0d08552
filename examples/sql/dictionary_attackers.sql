-- Dictionary attackers across the fleet (`exim-log abuse-report`, section
-- `dictionary.hosts`, over all servers' logs): RCPT rejections whose reason
-- says the recipient does not exist, per client IP, with the servers hit.
-- The reason texts are those of exim_log::report::classify
-- (is_unknown_recipient); a reason naming a DNS black list is an RBL
-- rejection instead (rbl_list).
SELECT coalesce(host_ip, host_name, host_helo, '(no host)') AS ip,
       count(*) AS rejected_unknown,
       count(DISTINCT server) AS servers,
       min("timestamp") AS first_seen,
       max("timestamp") AS last_seen
FROM lines
WHERE event = 'rejection' AND stage = 'rcpt'
  AND regexp_matches(lower(reason),
      'unknown user|user unknown|no such user|unrouteable address|unknown local'
      || '|unknown recipient|recipient unknown|mailbox unavailable|does not exist')
  AND NOT regexp_matches(lower(reason),
      ' is in a black list at | is in an rbl|blocked using |listed at |listed in ')
GROUP BY ip
ORDER BY rejected_unknown DESC, ip;
