#!/bin/bash
# The kernel backend's namespaces against an nd bus testbed (tests/umockdev/pmem.umockdev: an
# e820 bus, an fsdax map=dev namespace and a devdax namespace whose dax device is System RAM
# through kmem, plus the matching memory tree). The oracles are ndctl list -N and daxctl list,
# run in the same testbed. Then an nd/dax change event: the daemon must read the bus again with
# a fresh libndctl/libdaxctl context (both cache).
FK_FIXTURES="mem.umockdev pmem.umockdev"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/kernel/lib-kernel.sh"

G=$((1 << 30))
DAX=/sys/devices/platform/e820_pmem/ndbus0/region1/dax1.0/dax1.0

start_bus
# namespace0.0 is [9G, 13G): the managed region lets AddNamespace model it
cat >"$T_DIR/pmm.json" <<EOF
{ "backend": "kernel", "managed_regions": [ { "start": "9G", "size": "4G" } ] }
EOF
start_daemon --config "$T_DIR/pmm.json"
ok $? "pmm-hotplugd --backend kernel reaches READY=1 on the nd bus testbed"

run "$PMMCTL" --json list namespaces
expect_rc 0 "list namespaces --json"
NS=$OUT
ndctl list -N -v >"$T_DIR/ndctl.json" 2>"$T_DIR/ndctl.err"
ok $? "ndctl list -N -v runs in the same testbed"
daxctl list >"$T_DIR/daxctl.json" 2>"$T_DIR/daxctl.err"
ok $? "daxctl list runs in the same testbed"
diag "ndctl: $(jq -c . "$T_DIR/ndctl.json")"
diag "daxctl: $(jq -c . "$T_DIR/daxctl.json")"

# every namespace ndctl lists, as pmmctl lists it (mode, size, align, numa node, map)
same_json "namespaces: dev, mode, size, align, numa_node and map are ndctl's" \
	"$(jq -c '[.namespaces[] | select(.dev | startswith("namespace")) |
		{dev, mode, size, align, numa_node, map}] | sort_by(.dev)' <<<"$NS")" \
	"$(jq -c '[.[] | {dev, mode, size, align, numa_node, map}] | sort_by(.dev)' "$T_DIR/ndctl.json")"
same_json "dax devices: dev, mode, size, align and numa node are daxctl's (target_node)" \
	"$(jq -c '[.namespaces[] | select(.dev | startswith("dax")) |
		{dev, mode, size, align, numa_node}] | sort_by(.dev)' <<<"$NS")" \
	"$(jq -c '[.[] | {dev: .chardev, mode, size, align, numa_node: .target_node}] | sort_by(.dev)' \
		"$T_DIR/daxctl.json")"
jq_is '[.namespaces[].source] | unique' '["ndctl"]' "every entry says where it came from: ndctl"
jq_is '[.namespaces[] | select(.dev == "namespace0.0") | .start]' \
	"[$(printf %d "$(cat /sys/devices/platform/e820_pmem/ndbus0/region0/pfn0.1/resource)")]" \
	"namespace0.0 starts where its pfn device's data starts (pfn0.1/resource)"
jq_is "[.namespaces[] | select(.dev == \"dax1.0\") | .start]" \
	"$(daxctl list -RDM | jq -c '[.[].devices[] | select(.chardev == "dax1.0") | .mappings[0].start]')" \
	"dax1.0 starts at its first mapping (daxctl list -RDM)"
jq_is '[.namespaces[] | .in_use] | unique' '[true]' "enabled namespaces and devices are in use"

# the namespace objects on the bus say the same
P=/org/pmm/Hotplug1/namespace/namespace0_2e0
run busctl --address="$BUS_ADDRESS" --json=short get-property org.pmm.Hotplug1 "$P" \
	org.pmm.Hotplug1.Namespace Mode
jq_is '.data' '"fsdax"' "the namespace0.0 object: Mode fsdax"
run busctl --address="$BUS_ADDRESS" --json=short get-property org.pmm.Hotplug1 "$P" \
	org.pmm.Hotplug1.Namespace Map
jq_is '.data' '"dev"' "the namespace0.0 object: Map dev"
run busctl --address="$BUS_ADDRESS" --json=short get-property org.pmm.Hotplug1 "$P" \
	org.pmm.Hotplug1.Namespace Size
jq_is '.data' "$(jq '.[] | select(.dev == "namespace0.0") | .size' "$T_DIR/ndctl.json")" \
	"the namespace0.0 object: Size as ndctl says"
run busctl --address="$BUS_ADDRESS" --json=short get-property org.pmm.Hotplug1 "$P" \
	org.pmm.Hotplug1.Namespace Source
jq_is '.data' '"ndctl"' "the namespace0.0 object: Source ndctl"

# a dax device changes (its alignment): the daemon reads the bus again, fresh contexts
FK devattr "$DAX" align 1073741824
FK devuevent "$DAX" change
deadline=$((SECONDS + 10))
while [ $SECONDS -le $deadline ]; do
	run "$PMMCTL" --json list namespaces
	[ "$(jq '.namespaces[] | select(.dev == "dax1.0") | .align' <<<"$OUT")" = 1073741824 ] && break
	sleep 0.05
done
jq_is '.namespaces[] | select(.dev == "dax1.0") | .align' 1073741824 \
	"after the dax change event, dax1.0 shows the new alignment"
jq_is "[.namespaces[] | select(.dev == \"dax1.0\") | .align]" \
	"$(daxctl list | jq -c '[.[] | select(.chardev == "dax1.0") | .align]')" \
	"... as daxctl list (a new process) does"

# AddNamespace: model-only, refused where the model cannot do it; never outside the region
run "$PMMCTL" add-namespace namespace0.0
if [ "$RC" = 0 ]; then
	run "$PMMCTL" --json list ranges
	jq_is '[.ranges[] | select(.namespace == "namespace0.0") | [.kind, .type, .map]]' \
		'[["device","fsdax","dev"]]' "add-namespace namespace0.0: modelled as it runs (fsdax, map=dev)"
else
	expect_err Unsupported "add-namespace namespace0.0 while the model has no ZONE_DEVICE"
fi
run "$PMMCTL" add-namespace namespace1.0
expect_err OutOfRegion "add-namespace outside the managed region (namespace1.0 is [13G, 14G))"
run "$PMMCTL" add-namespace namespace9.9
expect_err NotFound "add-namespace of a namespace ndctl does not list"

stop_daemon
[ "$DAEMON_RC" = 0 ] && ! grep -q "runtime error\|Sanitizer" "$T_DIR/daemon.log"
ok $? "the daemon stops cleanly (exit $DAEMON_RC, no sanitizer report)"

done_testing
