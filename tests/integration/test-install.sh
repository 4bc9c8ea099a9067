#!/bin/bash
# Installing like a system service: `make install DESTDIR=...` puts every file where Debian
# expects it; the unit passes `systemd-analyze verify` silently and scores 2.0 or better in
# `systemd-analyze security`; the installed files refer to the installed binaries.
. "$(dirname "$0")/lib.sh"

root="$T_DIR/root"
make -s -C "$top_builddir" install DESTDIR="$root" >"$T_DIR/install.log" 2>&1
ok $? "make install DESTDIR=..."
[ $? -eq 0 ] || diag "$(tail -n 20 "$T_DIR/install.log")"

files=$(cd "$root" && find . -type f -o -type l | sed 's|^\.||' | sort)
want=(
	"/sbin/pmm-hotplugd" "/bin/pmmctl"
	"/systemd/system/pmm-hotplugd.service"
	"/dbus-1/system.d/org.pmm.Hotplug1.conf"
	"/dbus-1/system-services/org.pmm.Hotplug1.service"
	"/dbus-1/interfaces/org.pmm.Hotplug1.xml"
	"/udev/rules.d/60-pmm-hotplugd.rules"
	"/man8/pmmctl.8" "/man8/pmm-hotplugd.8" "/man5/pmm-hotplugd.json.5"
	"/bash-completion/completions/pmmctl"
	"/pmm-hotplugd.json.example"
)
for w in "${want[@]}"; do
	grep -q -- "$w\$" <<<"$files"
	ok $? "installed: *$w"
done
extra=$(grep -v -E "$(IFS='|'; echo "${want[*]}" | sed 's/\./\\./g')" <<<"$files")
[ -z "$extra" ]
ok $? "nothing else is installed"
[ -z "$extra" ] || diag "$extra"

unit=$(find "$root" -name pmm-hotplugd.service -path '*systemd*')
sbin=$(grep -- "/sbin/pmm-hotplugd\$" <<<"$files")
grep -q "^ExecStart=${sbin#"$root"}\$" "$unit" 2>/dev/null || grep -q "^ExecStart=.*/pmm-hotplugd\$" "$unit"
ok $? "the unit starts the installed daemon"
act=$(find "$root" -name org.pmm.Hotplug1.service -path '*system-services*')
grep -q '^SystemdService=pmm-hotplugd.service$' "$act"
ok $? "the activation file names the unit"

# systemd-analyze needs ExecStart to exist: point it at the built daemon.
sed "s|^ExecStart=.*|ExecStart=$DAEMON|" "$unit" >"$T_DIR/pmm-hotplugd.service"
out=$(systemd-analyze verify --man=no "$T_DIR/pmm-hotplugd.service" 2>&1)
[ -z "$out" ]
ok $? "systemd-analyze verify prints nothing"
[ -z "$out" ] || diag "$out"
out=$(systemd-analyze security --offline=true --threshold=20 "$T_DIR/pmm-hotplugd.service" 2>&1)
ok $? "systemd-analyze security scores 2.0 or better ($(grep -o 'exposure level.*' <<<"$out"))"
grep -q '^Type=notify$' "$unit" && grep -q '^BusName=org.pmm.Hotplug1$' "$unit" &&
	grep -q '^WatchdogSec=' "$unit" && grep -q '^Restart=on-failure$' "$unit" &&
	grep -q '^StateDirectory=pmm-hotplugd$' "$unit"
ok $? "unit: Type=notify, BusName, watchdog, restart on failure, state directory"

rules=$(find "$root" -name 60-pmm-hotplugd.rules)
grep -q 'SUBSYSTEM=="memory"' "$rules" && grep -q 'SUBSYSTEM=="dax"' "$rules"
ok $? "udev rule covers memory and dax"
! grep -v '^#' "$rules" | grep -q -E 'ATTR\{state\}|online'
ok $? "udev rule sets no onlining policy"

done_testing
