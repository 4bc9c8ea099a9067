#!/bin/bash
# dbus/org.pmm.Hotplug1.xml is the normative API: the live daemon's introspection of the manager,
# a block, a range and a namespace object must match it member by member (names, argument
# types and directions, property types and access), with nothing extra and nothing missing.
. "$(dirname "$0")/lib.sh"

XML="$top_srcdir/dbus/org.pmm.Hotplug1.xml"
DIFF="$top_srcdir/tests/integration/introspect-diff.py"

introspect() {
	busctl --address="$BUS_ADDRESS" call org.pmm.Hotplug1 "$1" \
		org.freedesktop.DBus.Introspectable Introspect --json=short | jq -r '.data[0]'
}

check_object() { # check_object PATH IFACE DESCRIPTION
	introspect "$1" >"$T_DIR/live.xml"
	grep -q "interface name=\"$2\"" "$T_DIR/live.xml"
	ok $? "$3 carries $2"
	out=$(python3 "$DIFF" "$XML" "$T_DIR/live.xml" 2>&1)
	ok $? "$3 matches the contract XML"
	[ -z "$out" ] || diag "$out"
}

start_bus
start_daemon
ok $? "daemon ready"

check_object /org/pmm/Hotplug1 org.pmm.Hotplug1.Manager "manager"
grep -q 'interface name="org.freedesktop.DBus.ObjectManager"' "$T_DIR/live.xml"
ok $? "manager carries org.freedesktop.DBus.ObjectManager"

check_object /org/pmm/Hotplug1/block/0 org.pmm.Hotplug1.Block "block 0"
run "$PMMCTL" --json add-range 8G 1G
expect_rc 0 "add a range"
path=$(jq -r '.range' <<<"$OUT")
[ -n "$path" ] && [ "$path" != null ]
ok $? "add-range --json names the range object ($path)"
check_object "$path" org.pmm.Hotplug1.Range "range"
check_object /org/pmm/Hotplug1/namespace/namespace0_2e0 org.pmm.Hotplug1.Namespace "namespace0.0"

# Every object the ObjectManager lists exists with the interface it claims.
objs=$(busctl --address="$BUS_ADDRESS" call org.pmm.Hotplug1 /org/pmm/Hotplug1 \
	org.freedesktop.DBus.ObjectManager GetManagedObjects --json=short |
	jq -r '.data[0] | to_entries[] | "\(.key) \(.value | keys | map(select(startswith("org.pmm"))) | .[0])"')
n=$(wc -l <<<"$objs")
[ "$n" -ge 66 ]
ok $? "GetManagedObjects lists boot blocks, new blocks, the range and the namespace ($n objects)"
bad=0
while read -r p i; do
	busctl --address="$BUS_ADDRESS" get-property org.pmm.Hotplug1 "$p" "$i" Start >/dev/null 2>&1 || bad=$((bad + 1))
done <<<"$objs"
ok $bad "every listed object answers its Start property"

done_testing
