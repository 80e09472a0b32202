#!/bin/sh
# make-9de131f.sh OLD_BINARY DATA_DIR: builds the desk a postdesk of revision
# 9de131f (before the desk schema, migrations 0017-0022) leaves behind, then
# writes its SQL dump to standard output. upgrade_e2e_test.go loads the dump
# (9de131f.sql) and runs today's binary on it.
#
#   git worktree add /tmp/old 9de131f && (cd /tmp/old && go build -o /tmp/pd-old ./cmd/postdesk)
#   sh make-9de131f.sh /tmp/pd-old /tmp/olddata > 9de131f.sql
#
# The old CLI could not set priorities, tags or snoozes (only an agent's
# reply by mail could, signed with her reply token); those columns are
# written the way its store wrote them (store/outbox.go AddTag: tags joined
# by newlines; snoozed_until in unix ms; priorities low|normal|high|urgent).
set -e
exec 3>&1 1>&2 # the CLI's messages to stderr; the dump alone to stdout
O=$1
D="--data $2"
$O property add --slug acme --name Acme --address support@acme.test $D
$O property add --slug other --name Other --address help@other.test $D
$O member add --property acme --email boss@acme.test --name Boss --role admin $D
$O member add --property acme --email ana@acme.test --name 'Ana Núñez' $D
$O member add --property acme --email bob@acme.test --name Bob $D
$O member add --property other --email eve@other.test --name Eve $D
$O department add --property acme --name Sales --members ana@acme.test,bob@acme.test $D
i=0
for subj in "Crème brûlée order" "Facture impayée" "Zürich delivery" "Ångström widget" "Großes Problem" "Señal perdida"; do
	i=$((i+1))
	printf 'From: Cliente %d <c%d@example.com>\r\nTo: support@acme.test\r\nSubject: %s\r\nMessage-ID: <m%d@example.com>\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBonjour, la crème brûlée numéro %d est arrivée froide. Übermäßig enttäuschend.\r\n' \
		$i $i "$subj" $i $i | $O deliver --recipient support@acme.test $D
done
printf 'From: Other Customer <oc@example.com>\r\nTo: help@other.test\r\nSubject: Secret other-property crème\r\nMessage-ID: <o1@example.com>\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nconfidential brûlée\r\n' |
	$O deliver --recipient help@other.test $D
# Held: a member's address without her reply token.
printf 'From: Ana <ana@acme.test>\r\nTo: support@acme.test\r\nSubject: Re: something\r\nMessage-ID: <h1@acme.test>\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\n#close\r\n' |
	$O deliver --recipient support@acme.test $D
now=$(($(date +%s) * 1000))
sqlite3 "$2/postdesk.db" "
UPDATE tickets SET priority = 'urgent', tags = 'vip
billing' WHERE id = 2;
UPDATE tickets SET priority = 'low', tags = 'vip' WHERE id = 3;
UPDATE tickets SET priority = 'high', assignee_id = (SELECT id FROM members WHERE email = 'ana@acme.test') WHERE id = 4;
UPDATE tickets SET status = 'snoozed', snoozed_until = $now - 3600000 WHERE id = 5;
UPDATE tickets SET status = 'closed' WHERE id = 6;
UPDATE tickets SET tags = 'vip' WHERE id = 7;"
sqlite3 "$2/postdesk.db" .dump >&3
