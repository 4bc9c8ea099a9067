#!/bin/bash
# Every arch profile with every memory model, end to end through pmmctl: the daemon starts with
# "arch" and "memory_model" from its configuration, reports the profile's geometry, answers pfn
# lookups and lists sections; hotplug works where the model allows it and is Unsupported where
# the kernel has none (FLATMEM, DISCONTIGMEM).
. "$(dirname "$0")/lib.sh"

G=$((1 << 30))
start_bus

# arch page_size section_size max_physmem_bits
profiles="x86_64:4096:134217728:46 x86_64-la57:4096:134217728:52 arm64-4k:4096:134217728:48
arm64-16k:16384:134217728:48 arm64-64k:65536:536870912:48 ppc64-64k:65536:16777216:51
s390x:4096:268435456:46 riscv64:4096:134217728:56"
models="sparsemem-vmemmap sparsemem-extreme sparsemem flatmem discontigmem"

for p in $profiles; do
	IFS=: read -r arch psize ssize bits <<<"$p"
	for model in $models; do
		tag="$arch/$model"
		cat >"$T_DIR/cfg.json" <<JSON
{ "arch": "$arch", "memory_model": "$model", "namespaces": [] }
JSON
		rm -rf "$T_DIR/state"
		if ! start_daemon --config "$T_DIR/cfg.json"; then
			ok 1 "$tag: daemon ready"
			stop_daemon KILL
			continue
		fi
		run "$PMMCTL" --json status
		jq_is "[.arch, .memory_model, .page_size, .section_size, .max_physmem_bits, .present_bytes]" \
			"[\"$arch\",\"$model\",$psize,$ssize,$bits,$((7 * G))]" "$tag: status reports the profile"
		# pfn of 4G + 1 page: boot RAM, online, in Normal (or the arch's zone above 4G)
		pfn=$(((4 * G) / psize + 1))
		run "$PMMCTL" --json pfn "$pfn"
		jq_is "[.pfn, .valid, .online]" "[$pfn,true,true]" "$tag: pfn $pfn is valid and online"
		# a pfn in the hole [3G, 4G): SPARSEMEM has no online page there; FLATMEM and
		# DISCONTIGMEM keep a reserved struct page across the whole span, and without memory
		# hotplug pfn_to_online_page() is just pfn_valid() (the kernel's own definition)
		run "$PMMCTL" --json pfn $(((3 * G) / psize + 1))
		case $model in
		flatmem | discontigmem)
			jq_is "[.valid, (.flags | index(\"reserved\") != null)]" "[true,true]" \
				"$tag: a pfn in the PCI hole has a reserved struct page" ;;
		*)
			jq_is ".online" "false" "$tag: a pfn in the PCI hole is not online" ;;
		esac
		run "$PMMCTL" --json list sections
		case $model in
		flatmem | discontigmem)
			jq_is ".sections" "[]" "$tag: no sections without SPARSEMEM"
			# no memory blocks either: map finds boot RAM through LookupPfn
			run "$PMMCTL" --json map
			jq_is "[([.map[] | select(.kind == \"boot\") | .size] | add),
				(.map[] | select(.start == $((3 * G))) | .kind)]" "[$((7 * G)),\"hole\"]" \
				"$tag: map draws the 7G of boot RAM and the hole at 3G"
			run "$PMMCTL" add-range 8G 1G
			expect_err Unsupported "$tag: hotplug needs SPARSEMEM"
			;;
		*)
			jq_is "[.sections[] | select(.present)] | length > 0" "true" "$tag: present sections listed"
			run "$PMMCTL" add-range 8G 1G
			expect_rc 0 "$tag: add-range 8G 1G"
			run "$PMMCTL" online 8G 1G --zone movable
			expect_rc 0 "$tag: online"
			run "$PMMCTL" --json pfn $(((8 * G) / psize))
			jq_is "[.valid, .online, .zone]" '[true,true,"Movable"]' "$tag: the added memory is online in Movable"
			run "$PMMCTL" offline 8G 1G
			expect_rc 0 "$tag: offline"
			run "$PMMCTL" remove-range 8G 1G
			expect_rc 0 "$tag: remove"
			run "$PMMCTL" add-device 16G 1G --type devdax
			if [ "$model" = sparsemem-vmemmap ]; then
				expect_rc 0 "$tag: ZONE_DEVICE with VMEMMAP"
			else
				expect_err Unsupported "$tag: ZONE_DEVICE needs VMEMMAP"
			fi
			;;
		esac
		stop_daemon TERM
		ok "$DAEMON_RC" "$tag: clean shutdown"
	done
done

done_testing
