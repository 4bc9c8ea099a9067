#!/bin/sh
# gen-mem.sh > mem.umockdev: the memory tree of a 2-node x86_64 machine with 128 MiB blocks,
# as drivers/base/memory.c shows it (valid_zones as zone_for_pfn_range() with contig-zones
# gives it), consistent with pmem.umockdev (pmem regions [9G, 13G) and [13G, 14G)):
#   node 0: block 0 online, spans ZONE_DMA and ZONE_DMA32 ("none"); 1-23 online DMA32
#           ([128M, 3G), the PCI hole [3G, 4G) has no blocks); 32-47 online Normal [4G, 6G);
#           48-49 offline ("Normal Movable": no zone spans them)
#   node 1: 64-71 online Movable [8G, 9G); 105-111 online Movable (the System RAM of dax1.0,
#           kmem); 112-119 offline [14G, 15G) ("Normal Movable": Movable spans 64-111 only)
# The kernel backend tests manage [14G, 18G): blocks 112-119 present, 120-143 free for hot-add.
# auto_online_blocks is offline, and there is no probe file (tests add one when they need it).
blk() { # id node state valid_zones
	echo "P: /devices/system/memory/memory$1"
	echo "E: SUBSYSTEM=memory"
	if [ "$1" = 0 ]; then
		printf 'A: ../block_size_bytes=8000000\\n\n'
		printf 'A: ../auto_online_blocks=offline\\n\n'
	fi
	printf 'A: phys_index=%08x\\n\n' "$1"
	printf 'A: phys_device=0\\n\n'
	printf 'A: state=%s\\n\n' "$3"
	printf 'A: online=%s\\n\n' "$([ "$3" = online ] && echo 1 || echo 0)"
	printf 'A: removable=1\\n\n'
	printf 'A: valid_zones=%s\\n\n' "$4"
	echo "L: node$2=../../node/node$2"
	echo
}
seq_ids() { i=$1; while [ "$i" -le "$2" ]; do echo "$i"; i=$((i + 1)); done; }

blk 0 0 online none
for b in $(seq_ids 1 23); do blk "$b" 0 online DMA32; done
for b in $(seq_ids 32 47); do blk "$b" 0 online Normal; done
for b in 48 49; do blk "$b" 0 offline "Normal Movable"; done
for b in $(seq_ids 64 71); do blk "$b" 1 online Movable; done
for b in $(seq_ids 105 111); do blk "$b" 1 online Movable; done
for b in $(seq_ids 112 119); do blk "$b" 1 offline "Normal Movable"; done

node() { # nid blocks...
	echo "P: /devices/system/node/node$1"
	echo "E: SUBSYSTEM=node"
	printf 'A: online=1\\n\n'
	n=$1
	shift
	for b in "$@"; do echo "L: memory$b=../../memory/memory$b"; done
	echo
}
node 0 0 $(seq_ids 1 23) $(seq_ids 32 49)
node 1 $(seq_ids 64 71) $(seq_ids 105 119)
