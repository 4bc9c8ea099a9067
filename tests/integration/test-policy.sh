#!/bin/bash
# The shipped bus policy and the daemon's own check, on a private system-like bus:
# - an unprivileged user (uid 65534) reads but is denied every mutating method, and nothing
#   changes;
# - root succeeds;
# - with a bus policy that lets everything through, the daemon still refuses uid 65534 itself;
# - the first call activates the daemon through the activation file.
. "$(dirname "$0")/lib.sh"

chmod 755 "$T_DIR"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
G=$((1 << 30))

start_bus
start_daemon
ok $? "daemon ready"

run "$PMMCTL" add-range 8G 1G
expect_rc 0 "root adds a range"
snapshot() { "$PMMCTL" --json status; "$PMMCTL" --json list blocks --all; "$PMMCTL" --json list ranges; }
before=$(snapshot)

# reads are open
run as_nobody "$PMMCTL" --json status
expect_rc 0 "nobody reads the status"
run as_nobody "$PMMCTL" --json list blocks --all
expect_rc 0 "nobody lists blocks"
run as_nobody "$PMMCTL" --json pfn 0x200000
expect_rc 0 "nobody looks up a pfn"
run as_nobody "$PMMCTL" --json plan add-range 16G 1G
expect_rc 0 "nobody asks for a plan"

# every mutating method is denied by the bus policy
deny() { # deny DESCRIPTION ARGS...
	local d=$1
	shift
	run as_nobody "$PMMCTL" "$@"
	[ "$RC" -eq 1 ] && grep -q "AccessDenied" <<<"$ERR"
	ok $? "nobody: $d is denied"
	[ "$RC" -eq 1 ] || diag "exit $RC: $ERR"
}
deny "add-range" add-range 16G 1G
deny "add-device" add-device 32G 1G
deny "add-namespace" add-namespace namespace0.0
deny "remove-range" remove-range 8G 1G
deny "online" online 8G 128M
deny "offline" offline 0 128M
deny "get-pages" get-pages 0x1000 1
deny "put-pages" put-pages 0x1000 1
deny "policy" policy online

after=$(snapshot)
[ "$before" = "$after" ]
ok $? "nothing changed after the denied calls"

run "$PMMCTL" online 8G 128M
expect_rc 0 "root onlines"

# Second gate: a bus that lets everyone call everything; the daemon refuses by itself.
stop_daemon TERM
kill "$BUS_PID"
cat >"$T_DIR/system.d/zz-open.conf" <<'XML'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><policy context="default"><allow send_destination="org.pmm.Hotplug1"/></policy></busconfig>
XML
start_bus
start_daemon
ok $? "daemon ready on an open bus"
run as_nobody "$PMMCTL" add-range 16G 1G
expect_err "org.pmm.Hotplug1.Error.AccessDenied\|AccessDenied" "the daemon itself refuses nobody"
run as_nobody "$PMMCTL" --json add-range 16G 1G
jq_is '.error.name' '"org.pmm.Hotplug1.Error.AccessDenied"' "named by the daemon, not the bus"
run "$PMMCTL" --json list ranges
jq_is '.ranges | length' 1 "still one range"
stop_daemon TERM

# The optional admin group: its members are admitted by the daemon (through the bus daemon's
# GetConnectionCredentials, which carries supplementary groups), others still are not.
echo '{ "admin_group": "adm" }' >"$T_DIR/admin.json"
start_daemon --config "$T_DIR/admin.json"
ok $? "daemon ready with admin_group adm"
run setpriv --reuid=65534 --regid=65534 --groups="$(getent group adm | cut -d: -f3)" "$PMMCTL" add-range 16G 1G
expect_rc 0 "a member of the admin group may add memory"
run as_nobody "$PMMCTL" --json add-range 20G 1G
jq_is '.error.name' '"org.pmm.Hotplug1.Error.AccessDenied"' "a non-member still may not"
jq_is '.error.message | test("admin group")' 'true' "the refusal names the admin group"
run "$PMMCTL" --json list ranges
jq_is '.ranges | length' 2 "exactly the member's range was added"
stop_daemon TERM
echo '{ "admin_group": "no-such-group-pmm" }' >"$T_DIR/admin.json"
run "$DAEMON" --address "$BUS_ADDRESS" --state-dir "$T_DIR/state" --config "$T_DIR/admin.json"
[ "$RC" -ne 0 ] && grep -q admin_group <<<"$ERR"
ok $? "an unknown admin_group stops start-up naming the key"
kill "$BUS_PID"
rm -f "$T_DIR/system.d/zz-open.conf"

# Activation: no daemon running; the first call starts it from the activation file.
start_bus
sed -e "s|@sbindir@/pmm-hotplugd|$DAEMON --address $BUS_ADDRESS --state-dir $T_DIR/state|" \
	"$top_srcdir/dbus/org.pmm.Hotplug1.service.in" >"$T_DIR/services/org.pmm.Hotplug1.service"
kill -HUP "$BUS_PID"
sleep 0.2
run "$PMMCTL" --json list ranges
expect_rc 0 "the first call activates pmm-hotplugd"
jq_is '.ranges | length' 2 "the activated daemon restored the state"
pkill -f -- "--state-dir $T_DIR/state" 2>/dev/null

done_testing
