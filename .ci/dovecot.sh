#!/usr/bin/env bash
# Starts a private Dovecot (Debian's dovecot-imapd) for the IMAP fetch
# tests: plain IMAP on a loopback port, one test user with a Maildir, all
# under one directory. Prints the line to export; the tests read
# POSTDESK_TEST_IMAP=host:port,user,password and skip without it.
#   .ci/dovecot.sh start [DIR] [PORT]   (default /tmp/postdesk-dovecot, 10143)
#   .ci/dovecot.sh stop  [DIR]
set -euo pipefail
cmd=${1:-start}
dir=${2:-/tmp/postdesk-dovecot}
port=${3:-10143}
user=postdesk password=postdesk-test

if [[ $cmd == stop ]]; then
  [[ -f $dir/dovecot.conf ]] && doveadm -c "$dir/dovecot.conf" stop 2>/dev/null || true
  exit 0
fi

mkdir -p "$dir/run" "$dir/state" "$dir/mail"
# The mail is owned by an unprivileged account: Dovecot refuses root.
owner=$(id -un)
if [[ $(id -u) == 0 ]]; then
  owner=postdesk-imap
  id "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
  chown "$owner:" "$dir/mail"
fi
printf '%s:{PLAIN}%s::::::\n' "$user" "$password" >"$dir/users"
cat >"$dir/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_max_userip_connections = 200
mail_location = maildir:$dir/mail/%u/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=$owner gid=$(id -gn "$owner") home=$dir/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
CONF
doveadm -c "$dir/dovecot.conf" stop 2>/dev/null || true
dovecot -c "$dir/dovecot.conf"
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
echo "export POSTDESK_TEST_IMAP=127.0.0.1:$port,$user,$password"
