#!/bin/bash
# SPDX-License-Identifier: MIT
# Hostile input (issue 8, part 3):
#   1. bad requests over the bus (hostile.c): each refused with the expected error name, the
#      model unchanged, the daemon still answering;
#   2. bad configuration files: each stops the daemon (exit 1) with a message naming the key;
#   3. damaged journals and snapshots: each stops the daemon before it serves anything, with a
#      message naming the file and what is wrong, and the files are left as they were.
. "$(dirname "$0")/lib-rel.sh"
PY=$(command -v python3)

start_bus

# ------------------------------------------------------------------ 1. bad requests
start_daemon "$T_DIR/state"
ok $? "the daemon starts with the embedded default"
# hostile speaks TAP itself; its lines are renumbered into ours
sub_tap "$REL/hostile" "$BUS_ADDRESS"
kill -0 "$DAEMON_PID" 2>/dev/null
ok $? "the daemon is still running after the bad requests"
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ]
ok $? "and stops cleanly (exit $DAEMON_RC)"

# ------------------------------------------------------------------ 2. bad configuration
# refused_config WANT JSON: the daemon exits 1 and its message names WANT (a key, or why)
refused_config() {
	local want=$1 json=$2 f="$T_DIR/bad.json" rc err
	printf '%s' "$json" >"$f"
	err=$(timeout 20 "$DAEMON" --config "$f" --address "$BUS_ADDRESS" --state-dir "$T_DIR/cfgstate" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" -eq 1 ] && grep -qF -- "$want" <<<"$err" && grep -qF -- "$f" <<<"$err" &&
		! grep -q "serving" <<<"$err"
	ok $? "bad configuration refused, naming $want: $json" || diag "exit $rc: $err"
}
refused_config "'bogus'" '{"bogus": 1}'
refused_config "'Backend'" '{"Backend": "sim"}'
refused_config "'backend'" '{"backend": "xen"}'
refused_config "'backend'" '{"backend": 1}'
refused_config "'arch'" '{"arch": "vax"}'
refused_config "'arch'" '{"arch": ["x86_64"]}'
refused_config "'memory_model'" '{"memory_model": "sparse"}'
refused_config "'block_size'" '{"block_size": "100M"}'
refused_config "'block_size'" '{"block_size": "64M"}'
refused_config "'block_size'" '{"arch": "arm64-64k", "block_size": "128M", "boot_memory": [{"start": 0, "size": "1G"}], "managed_regions": [], "namespaces": []}'
refused_config "'block_size'" '{"block_size": -1}'
refused_config "'block_size'" '{"block_size": "12Q"}'
refused_config "'block_size'" '{"block_size": 1.5}'
refused_config "'block_size'" '{"block_size": "0x10000000000000000"}'
refused_config "'block_size'" '{"block_size": "128 M"}'
refused_config "'boot_memory'" '{"boot_memory": []}'
refused_config "'boot_memory'" '{"boot_memory": {"start": 0, "size": "1G"}}'
refused_config "'boot_memory[0].size'" '{"boot_memory": [{"start": 0}]}'
refused_config "'boot_memory[0]'" '{"boot_memory": [{"start": 0, "size": 0}]}'
refused_config "'boot_memory[0]'" '{"boot_memory": [{"start": "0x1001", "size": "1G"}]}'
refused_config "'boot_memory[0]'" '{"boot_memory": [{"start": "64T", "size": "1G"}]}'
refused_config "'boot_memory[0]'" '{"boot_memory": [{"start": "0xfffffffffff00000", "size": "2M"}]}'
refused_config "'boot_memory[1]'" '{"boot_memory": [{"start": 0, "size": "1G"}, {"start": "512M", "size": "1G"}]}'
refused_config "'boot_memory[0].node'" '{"boot_memory": [{"start": 0, "size": "1G", "node": 5000}]}'
refused_config "'boot_memory[0].node'" '{"boot_memory": [{"start": 0, "size": "1G", "node": "0"}]}'
refused_config "'boot_memory[0].nid'" '{"boot_memory": [{"start": 0, "size": "1G", "nid": 0}]}'
refused_config "'managed_regions[0]'" '{"managed_regions": [{"start": "8G", "size": "100M"}]}'
refused_config "'managed_regions[1]'" '{"managed_regions": [{"start": "8G", "size": "8G"}, {"start": "12G", "size": "8G"}]}'
refused_config "'managed_regions[0]'" '{"managed_regions": [{"start": "2G", "size": "2G"}]}'
refused_config "'managed_regions[0]'" '{"managed_regions": [{"start": "0xfffffffff8000000", "size": "256M"}]}'
refused_config "'managed_regions[0]'" '{"managed_regions": [{"start": "128T", "size": "1G"}]}'
refused_config "'managed_regions'" '{"managed_regions": "8G"}'
refused_config "'namespaces[0].name'" '{"namespaces": [{"name": "a/b", "start": "56G", "size": "1G"}]}'
refused_config "'namespaces[0].name'" '{"namespaces": [{"name": "", "start": "56G", "size": "1G"}]}'
refused_config "'namespaces[0]'" '{"namespaces": [{"name": "x", "start": "1G", "size": "1G"}]}'
refused_config "'namespaces[1]'" '{"namespaces": [{"name": "x", "start": "56G", "size": "1G"}, {"name": "x", "start": "58G", "size": "1G"}]}'
refused_config "'namespaces[1]'" '{"namespaces": [{"name": "x", "start": "56G", "size": "2G"}, {"name": "y", "start": "57G", "size": "1G"}]}'
refused_config "'namespaces[0].start'" '{"namespaces": [{"name": "x", "size": "1G"}]}'
refused_config "'namespaces'" '{"backend": "kernel", "namespaces": [{"name": "x", "start": "56G", "size": "1G"}]}'
refused_config "'auto_online_blocks'" '{"auto_online_blocks": "yes"}'
refused_config "'auto_online_blocks'" '{"auto_online_blocks": true}'
refused_config "'online_policy.policy'" '{"online_policy": {"policy": "fancy"}}'
refused_config "'online_policy.ratio'" '{"online_policy": {"ratio": -5}}'
refused_config "'online_policy.numa'" '{"online_policy": {"ratio": 301, "numa": true}}'
refused_config "'online_policy'" '{"online_policy": "auto-movable"}'
refused_config "'state_dir'" '{"state_dir": ""}'
refused_config "'state_dir'" '{"state_dir": 5}'
refused_config "'sysfs_root'" '{"sysfs_root": null}'
refused_config "'(top level)'" '[]'
refused_config "not valid JSON" '{"arch": x86_64}'
refused_config "not valid JSON" '{"arch": "x86_64"'
refused_config "not valid JSON" ''
refused_config "unexpected text after the JSON object" '{"arch": "x86_64"} {"arch": "s390x"}'
# a file that cannot be a configuration at all
printf '{"arch": "x86_64"\0}' >"$T_DIR/nul.json"
err=$("$DAEMON" --config "$T_DIR/nul.json" --address "$BUS_ADDRESS" --state-dir "$T_DIR/cfgstate" 2>&1)
rc=$?
[ "$rc" -eq 1 ] && grep -q "NUL" <<<"$err"
ok $? "a configuration with a NUL byte is refused" || diag "exit $rc: $err"
err=$("$DAEMON" --config "$T_DIR" --address "$BUS_ADDRESS" --state-dir "$T_DIR/cfgstate" 2>&1)
rc=$?
[ "$rc" -eq 1 ] && grep -q "cannot read" <<<"$err"
ok $? "a directory as the configuration is refused" || diag "exit $rc: $err"
[ ! -e "$T_DIR/cfgstate" ]
ok $? "no refused configuration created the state directory"

# ------------------------------------------------------------------ 3. damaged state files
# A journal with several kinds of records, and a state with a snapshot and its journal.
bc() { busctl --address="$BUS_ADDRESS" call org.pmm.Hotplug1 /org/pmm/Hotplug1 org.pmm.Hotplug1.Manager "$@" >/dev/null; }
make_state() { # make_state DIR SNAPSHOT_EVERY
	PMM_SNAPSHOT_EVERY=$2 start_daemon "$1" &&
		bc AddMemory tta{sv} 8589934592 1073741824 0 &&
		bc OnlineMemory tts 8589934592 268435456 online_movable &&
		bc GetPages tt 2097152 4 &&
		bc SetOnlinePolicy sa{sv} auto-movable 1 ratio u 200 &&
		bc AddDeviceMemory tta{sv} 21474836480 67108864 1 type s devdax &&
		bc OfflineMemory tt 8724152320 134217728 &&
		bc PutPages tt 2097152 1
	local s=$?
	stop_daemon TERM
	return $s
}
make_state "$T_DIR/good-journal" 0
ok $? "a state with a journal of 7 records"
make_state "$T_DIR/good-snapshot" 3 && [ -s "$T_DIR/good-snapshot/snapshot" ]
ok $? "a state with a snapshot and a journal after it"

# damage KIND FILE: rewrite one record file (python: records must keep or break their CRC at will)
damage() {
	"$PY" - "$1" "$2" <<'PYEOF'
import json, sys, zlib
kind, path = sys.argv[1], sys.argv[2]
data = open(path, 'rb').read()
lines = data.split(b'\n')[:-1]
def rec(obj):                      # a record line with a correct CRC
    text = json.dumps(obj, separators=(',', ':')).encode()
    return b'%08x %s' % (zlib.crc32(text) & 0xffffffff, text)
def obj(i):
    return json.loads(lines[i][9:])
if kind == 'flip':                 # one bit of record 2's JSON
    l = bytearray(lines[2]); l[20] ^= 1; lines[2] = bytes(l)
elif kind == 'flip-crc':
    l = bytearray(lines[1]); l[3] = ord('g'); lines[1] = bytes(l)
elif kind == 'truncate':           # the last record cut short, no end of line
    out = b'\n'.join(lines) + b'\n'
    open(path, 'wb').write(out[:-7]); sys.exit(0)
elif kind == 'truncate-middle':
    out = b'\n'.join(lines) + b'\n'
    open(path, 'wb').write(out[:len(lines[0]) + 1 + len(lines[1]) // 2]); sys.exit(0)
elif kind == 'magic':
    o = obj(0); o['magic'] = 'other-journal'; lines[0] = rec(o)
elif kind == 'version':
    o = obj(0); o['version'] = 2; lines[0] = rec(o)
elif kind == 'block-size':
    o = obj(0); o['block_size'] = 268435456; lines[0] = rec(o)
elif kind == 'no-header':
    lines = lines[1:]
elif kind == 'swap':               # records 2 and 3 exchanged
    lines[2], lines[3] = lines[3], lines[2]
elif kind == 'duplicate':
    lines.insert(3, lines[2])
elif kind == 'seq-gap':
    o = obj(len(lines) - 1); o['seq'] += 5; lines[-1] = rec(o)
elif kind == 'replay-fails':       # well formed, but onlines a block that does not exist
    seq = obj(len(lines) - 1)['seq'] + 1
    lines.append(rec({'op': 'online', 'start': 30 << 30, 'size': 128 << 20, 'type': 'online_kernel', 'seq': seq}))
elif kind == 'unknown-op':
    seq = obj(len(lines) - 1)['seq'] + 1
    lines.append(rec({'op': 'format-disk', 'seq': seq}))
elif kind == 'negative':
    seq = obj(len(lines) - 1)['seq'] + 1
    lines.append(rec({'op': 'get-pages', 'pfn': -1, 'count': 1, 'seq': seq}))
elif kind == 'not-json':
    text = b'[1, 2, 3'
    lines.append(b'%08x %s' % (zlib.crc32(text) & 0xffffffff, text))
elif kind == 'garbage-line':
    lines.append(b'hello world')
elif kind == 'nul':
    l = bytearray(lines[1]); l[15] = 0; lines[1] = bytes(l)
elif kind == 'empty':
    open(path, 'wb').write(b''); sys.exit(0)
elif kind == 'snap-seq':           # the snapshot claims to cover fewer records than it does
    o = obj(0); o['journal_seq'] = 1; lines[0] = rec(o)
elif kind == 'snap-no-journal-seq':
    o = obj(0); del o['journal_seq']; lines[0] = rec(o)
elif kind == 'snap-header-seq':
    o = obj(0); o['seq'] = 4; lines[0] = rec(o)
else:
    sys.exit('unknown damage ' + kind)
open(path, 'wb').write(b'\n'.join(lines) + b'\n')
PYEOF
}

# refused_state GOOD FILE KIND WANT: a copy of GOOD with FILE damaged stops start-up, naming
# the file and WANT, serving nothing and leaving the file untouched
refused_state() {
	local good=$1 file=$2 kind=$3 want=$4 dir="$T_DIR/damaged" err rc
	rm -rf "$dir" && cp -a "$good" "$dir" && damage "$kind" "$dir/$file" &&
		cp "$dir/$file" "$T_DIR/damaged.copy" || { ok 1 "damage $file: $kind"; return; }
	err=$(timeout 20 "$DAEMON" --address "$BUS_ADDRESS" --state-dir "$dir" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && grep -qF "$dir/$file" <<<"$err" && grep -qF -- "$want" <<<"$err" &&
		! grep -q "serving" <<<"$err" && cmp -s "$dir/$file" "$T_DIR/damaged.copy"
	ok $? "$file damaged ($kind) stops start-up: $want" || diag "exit $rc: $(tail -n 3 <<<"$err")"
}
refused_state "$T_DIR/good-journal" journal flip "bad CRC"
refused_state "$T_DIR/good-journal" journal flip-crc "bad CRC field"
refused_state "$T_DIR/good-journal" journal truncate "truncated record"
refused_state "$T_DIR/good-journal" journal truncate-middle "truncated record"
refused_state "$T_DIR/good-journal" journal magic "magic"
refused_state "$T_DIR/good-journal" journal version "version"
refused_state "$T_DIR/good-journal" journal block-size "block size"
refused_state "$T_DIR/good-journal" journal no-header "magic"
refused_state "$T_DIR/good-journal" journal swap "sequence number"
refused_state "$T_DIR/good-journal" journal duplicate "sequence number"
refused_state "$T_DIR/good-journal" journal seq-gap "sequence number"
refused_state "$T_DIR/good-journal" journal replay-fails "failed to replay"
refused_state "$T_DIR/good-journal" journal unknown-op "format-disk"
refused_state "$T_DIR/good-journal" journal negative "pfn"
refused_state "$T_DIR/good-journal" journal not-json "not a JSON object"
refused_state "$T_DIR/good-journal" journal garbage-line "malformed record"
refused_state "$T_DIR/good-journal" journal nul "NUL"
refused_state "$T_DIR/good-journal" journal empty "empty"
refused_state "$T_DIR/good-snapshot" snapshot flip "bad CRC"
refused_state "$T_DIR/good-snapshot" snapshot truncate "truncated record"
refused_state "$T_DIR/good-snapshot" snapshot magic "magic"
refused_state "$T_DIR/good-snapshot" snapshot version "version"
refused_state "$T_DIR/good-snapshot" snapshot swap "sequence number"
refused_state "$T_DIR/good-snapshot" snapshot replay-fails "failed to replay"
refused_state "$T_DIR/good-snapshot" snapshot snap-seq "records are missing"
refused_state "$T_DIR/good-snapshot" snapshot snap-no-journal-seq "journal_seq"
refused_state "$T_DIR/good-snapshot" snapshot snap-header-seq "sequence number"
refused_state "$T_DIR/good-snapshot" snapshot empty "empty"
# the undamaged states still start: the damage, not the test, made the difference
for good in good-journal good-snapshot; do
	start_daemon "$T_DIR/$good"
	ok $? "the undamaged $good state starts"
	stop_daemon TERM
done

done_testing
