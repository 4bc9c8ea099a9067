/* SPDX-License-Identifier: MIT */
/*
 * hostile ADDRESS: a table of bad requests sent to pmm-hotplugd over the bus (not through
 * pmmctl, so pmmctl's own checks cannot hide anything): wrong signatures, wrapping and
 * misaligned ranges, zero and huge sizes, unknown option keys, options of the wrong variant
 * type, words where enums are expected, unknown objects, interfaces and properties, refusals
 * that depend on the state (overlap, double remove, online of online, put below zero...).
 * Each must be answered with the expected error name, change nothing (a hash of Describe, every
 * List and the refcounts of the pages the fixture pinned is the same before and after) and
 * leave the daemon answering reads. One TAP line per request.
 *
 * Arguments are written in a small language, one token per argument:
 *   t:N u:N i:N x:N (int64) q:N (uint16) y:N b:N d:F s:STR o:PATH g:SIG
 *   a:k=T:V,k=T:V   an a{sv} (a: alone is empty); T is a scalar type letter above
 *   A:k=V,...       an a{ss} (a dictionary of the wrong type)   S:v|v  an as
 * s:@long is a 4 KiB string, s: the empty string.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "pmm-names.h"
#include "rel.h"
#include "tests/tap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define E(x)     PMM_ERROR_PREFIX #x
#define INVARGS  "org.freedesktop.DBus.Error.InvalidArgs"
#define UNKMETH  "org.freedesktop.DBus.Error.UnknownMethod"
#define UNKOBJ   "org.freedesktop.DBus.Error.UnknownObject"
#define UNKIFACE "org.freedesktop.DBus.Error.UnknownInterface"
#define UNKPROP  "org.freedesktop.DBus.Error.UnknownProperty"
#define READONLY "org.freedesktop.DBus.Error.PropertyReadOnly"
#define PLAN(x)  "plan:" PMM_ERROR_PREFIX #x
#define OK       NULL

#define MGR      PMM_MANAGER_PATH
#define PROPS    "org.freedesktop.DBus.Properties"

/* Addresses of the embedded default (managed [8G, 72G), namespace0.0 at [56G, 72G)). */
#define G8       "0x200000000"
#define G9       "0x240000000"
#define G12      "0x300000000"
#define G20      "0x500000000"
#define G30      "0x780000000"
#define PFN8G    "0x200000"
#define PFN9G    "0x240000"
#define PFN20G   "0x500000"
#define PFN30G   "0x780000"

struct hcase {
	const char *what;
	const char *path;       /* NULL: the manager */
	const char *iface;      /* NULL: the manager's interface */
	const char *member;
	const char *args;
	const char *want;       /* error name; "plan:NAME": a Plan reply with ok=false, error NAME */
};

/* The state the refusals are tested against: every step must succeed. */
static const struct hcase fixture[] = {
	{ "RAM range online movable", NULL, NULL, "AddMemory", "t:" G8 " t:0x40000000 a:online=s:online_movable", OK },
	{ "RAM range offline, right after", NULL, NULL, "AddMemory", "t:" G9 " t:0x20000000 a:", OK },
	{ "a range to remove twice", NULL, NULL, "AddMemory", "t:" G12 " t:0x8000000 a:", OK },
	{ "... removed once", NULL, NULL, "RemoveMemory", "t:" G12 " t:0x8000000", OK },
	{ "device range", NULL, NULL, "AddDeviceMemory", "t:" G20 " t:0x4000000 a:type=s:devdax", OK },
	{ "a page of block 64 pinned", NULL, NULL, "GetPages", "t:" PFN8G " t:1", OK },
	{ "a device page pinned", NULL, NULL, "GetPages", "t:0x500010 t:1", OK },
	{ "the namespace in use", NULL, NULL, "AddNamespace", "s:namespace0.0 a:", OK },
};

static const struct hcase cases[] = {
	/* ---- unknown members, objects, interfaces, properties */
	{ "unknown method", NULL, NULL, "Explode", "", UNKMETH },
	{ "method of another case", NULL, NULL, "addmemory", "t:" G8 " t:0x8000000 a:", UNKMETH },
	/* sd-bus names an unknown interface of a known object UnknownMethod ("method or interface") */
	{ "unknown interface on the manager", MGR, "org.pmm.Hotplug1.Nope", "AddMemory", "t:" G8 " t:0x8000000 a:", UNKMETH },
	{ "manager method on a block object", "/org/pmm/Hotplug1/block/64", PMM_MANAGER_IFACE, "AddMemory", "t:" G8 " t:0x8000000 a:", UNKMETH },
	{ "unknown object", "/org/pmm/Hotplug1/nope", PMM_MANAGER_IFACE, "Describe", "", UNKOBJ },
	{ "block that does not exist", "/org/pmm/Hotplug1/block/99999", PROPS, "GetAll", "s:" PMM_BLOCK_IFACE, UNKOBJ },
	{ "block id not a number", "/org/pmm/Hotplug1/block/abc", PROPS, "GetAll", "s:" PMM_BLOCK_IFACE, UNKOBJ },
	{ "block id with a sign", "/org/pmm/Hotplug1/block/_2d1", PROPS, "GetAll", "s:" PMM_BLOCK_IFACE, UNKOBJ },
	{ "block of the PCI hole", "/org/pmm/Hotplug1/block/24", PROPS, "GetAll", "s:" PMM_BLOCK_IFACE, UNKOBJ },
	{ "range 0", "/org/pmm/Hotplug1/range/0", PROPS, "GetAll", "s:" PMM_RANGE_IFACE, UNKOBJ },
	{ "range never created", "/org/pmm/Hotplug1/range/999", PROPS, "GetAll", "s:" PMM_RANGE_IFACE, UNKOBJ },
	{ "range removed", "/org/pmm/Hotplug1/range/3", PROPS, "GetAll", "s:" PMM_RANGE_IFACE, UNKOBJ },
	{ "range id overflowing 64 bits", "/org/pmm/Hotplug1/range/99999999999999999999999", PROPS, "GetAll", "s:" PMM_RANGE_IFACE, UNKOBJ },
	{ "unknown namespace", "/org/pmm/Hotplug1/namespace/nope", PROPS, "GetAll", "s:" PMM_NAMESPACE_IFACE, UNKOBJ },
	{ "unknown property", MGR, PROPS, "Get", "s:" PMM_MANAGER_IFACE " s:Nope", UNKPROP },
	{ "property of an unknown interface", MGR, PROPS, "Get", "s:org.pmm.Nope s:Version", UNKPROP },
	{ "set a read-only property", MGR, PROPS, "Set", "s:" PMM_MANAGER_IFACE " s:BlockSize v:t:1", READONLY },
	{ "set the policy property directly", MGR, PROPS, "Set", "s:" PMM_MANAGER_IFACE " s:AutoOnlineBlocks v:s:online", READONLY },
	{ "Get with wrong arguments", MGR, PROPS, "Get", "u:1 u:2", INVARGS },
	{ "unknown block property", "/org/pmm/Hotplug1/block/64", PROPS, "Get", "s:" PMM_BLOCK_IFACE " s:Nope", UNKPROP },
	{ "set a block's state property", "/org/pmm/Hotplug1/block/64", PROPS, "Set", "s:" PMM_BLOCK_IFACE " s:State v:s:offline", READONLY },

	/* ---- wrong signatures: sd-bus answers InvalidArgs before a handler runs */
	{ "AddMemory without arguments", NULL, NULL, "AddMemory", "", INVARGS },
	{ "AddMemory start only", NULL, NULL, "AddMemory", "t:" G8, INVARGS },
	{ "AddMemory without options", NULL, NULL, "AddMemory", "t:" G8 " t:0x8000000", INVARGS },
	{ "AddMemory sizes as strings", NULL, NULL, "AddMemory", "s:8G s:128M a:", INVARGS },
	{ "AddMemory sizes as u", NULL, NULL, "AddMemory", "u:8 u:128 a:", INVARGS },
	{ "AddMemory sizes as i", NULL, NULL, "AddMemory", "i:8 i:128 a:", INVARGS },
	{ "AddMemory sizes as doubles", NULL, NULL, "AddMemory", "d:8e9 d:1.28e8 a:", INVARGS },
	{ "AddMemory options as a{ss}", NULL, NULL, "AddMemory", "t:" G8 " t:0x8000000 A:online=online", INVARGS },
	{ "AddMemory options as as", NULL, NULL, "AddMemory", "t:" G8 " t:0x8000000 S:online", INVARGS },
	{ "AddMemory an extra argument", NULL, NULL, "AddMemory", "t:" G8 " t:0x8000000 a: u:1", INVARGS },
	{ "AddMemory arguments swapped", NULL, NULL, "AddMemory", "a: t:" G8 " t:0x8000000", INVARGS },
	{ "AddDeviceMemory without options", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000", INVARGS },
	{ "AddDeviceMemory as strings", NULL, NULL, "AddDeviceMemory", "s:30G s:2M a:", INVARGS },
	{ "AddDeviceMemory options as a{ss}", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 A:type=devdax", INVARGS },
	{ "AddNamespace without options", NULL, NULL, "AddNamespace", "s:namespace0.0", INVARGS },
	{ "AddNamespace name as an object path", NULL, NULL, "AddNamespace", "o:/namespace0/0 a:", INVARGS },
	{ "AddNamespace name as a number", NULL, NULL, "AddNamespace", "u:0 a:", INVARGS },
	{ "RemoveMemory with options", NULL, NULL, "RemoveMemory", "t:" G9 " t:0x8000000 a:", INVARGS },
	{ "RemoveMemory one argument", NULL, NULL, "RemoveMemory", "t:" G9, INVARGS },
	{ "RemoveMemory as strings", NULL, NULL, "RemoveMemory", "s:10G s:128M", INVARGS },
	{ "OnlineMemory without a type", NULL, NULL, "OnlineMemory", "t:" G9 " t:0x8000000", INVARGS },
	{ "OnlineMemory type as u", NULL, NULL, "OnlineMemory", "t:" G9 " t:0x8000000 u:1", INVARGS },
	{ "OnlineMemory with options", NULL, NULL, "OnlineMemory", "t:" G9 " t:0x8000000 a:", INVARGS },
	{ "OfflineMemory with a type", NULL, NULL, "OfflineMemory", "t:" G8 " t:0x8000000 s:offline", INVARGS },
	{ "OfflineMemory as int32", NULL, NULL, "OfflineMemory", "i:1 i:1", INVARGS },
	{ "GetPages one argument", NULL, NULL, "GetPages", "t:" PFN8G, INVARGS },
	{ "GetPages as u", NULL, NULL, "GetPages", "u:1 u:1", INVARGS },
	{ "GetPages as int64", NULL, NULL, "GetPages", "x:-1 x:1", INVARGS },
	{ "PutPages as strings", NULL, NULL, "PutPages", "s:0x200000 s:1", INVARGS },
	{ "PutPages three arguments", NULL, NULL, "PutPages", "t:" PFN8G " t:1 t:1", INVARGS },
	{ "LookupPfn without a pfn", NULL, NULL, "LookupPfn", "", INVARGS },
	{ "LookupPfn pfn as a string", NULL, NULL, "LookupPfn", "s:" PFN8G, INVARGS },
	{ "LookupPfn pfn as uint16", NULL, NULL, "LookupPfn", "q:1", INVARGS },
	{ "Plan without options", NULL, NULL, "Plan", "s:online t:" G9 " t:0x8000000", INVARGS },
	{ "Plan operation as a number", NULL, NULL, "Plan", "u:1 t:" G9 " t:0x8000000 a:", INVARGS },
	{ "Plan sizes as strings", NULL, NULL, "Plan", "s:online s:10G s:128M a:", INVARGS },
	{ "SetOnlinePolicy without options", NULL, NULL, "SetOnlinePolicy", "s:online", INVARGS },
	{ "SetOnlinePolicy policy as a number", NULL, NULL, "SetOnlinePolicy", "u:1 a:", INVARGS },
	{ "SetOnlinePolicy options as a{ss}", NULL, NULL, "SetOnlinePolicy", "s:auto-movable A:ratio=200", INVARGS },
	{ "Describe with an argument", NULL, NULL, "Describe", "s:all", INVARGS },
	{ "List without options", NULL, NULL, "List", "s:blocks", INVARGS },
	{ "List kind as a number", NULL, NULL, "List", "u:0 a:", INVARGS },
	{ "Rescan with an argument", NULL, NULL, "Rescan", "b:1", INVARGS },

	/* ---- AddMemory: ranges */
	{ "size 0", NULL, NULL, "AddMemory", "t:" G30 " t:0 a:", E(InvalidArgument) },
	{ "start + size wraps 2^64", NULL, NULL, "AddMemory", "t:0xfffffffff8000000 t:0x10000000 a:", E(InvalidArgument) },
	{ "size 2^64-1", NULL, NULL, "AddMemory", "t:" G30 " t:0xffffffffffffffff a:", E(InvalidArgument) },
	{ "start 2^64-1, size 1 wraps", NULL, NULL, "AddMemory", "t:0xffffffffffffffff t:1 a:", E(InvalidArgument) },
	{ "start 2^64-2, size 1", NULL, NULL, "AddMemory", "t:0xfffffffffffffffe t:1 a:", E(OutOfRegion) },
	{ "beyond MAX_PHYSMEM_BITS (46)", NULL, NULL, "AddMemory", "t:0x400000000000 t:0x8000000 a:", E(OutOfRegion) },
	{ "ending beyond MAX_PHYSMEM_BITS", NULL, NULL, "AddMemory", "t:0x3ffff8000000 t:0x10000000 a:", E(OutOfRegion) },
	{ "huge size 2^63", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000000000000 a:", E(OutOfRegion) },
	{ "boot memory", NULL, NULL, "AddMemory", "t:0 t:0x8000000 a:", E(OutOfRegion) },
	{ "the PCI hole, outside the region", NULL, NULL, "AddMemory", "t:0xc0000000 t:0x8000000 a:", E(OutOfRegion) },
	{ "straddling the region's start", NULL, NULL, "AddMemory", "t:0x1f8000000 t:0x10000000 a:", E(OutOfRegion) },
	{ "straddling the region's end", NULL, NULL, "AddMemory", "t:0x11f8000000 t:0x10000000 a:", E(OutOfRegion) },
	{ "just past the region", NULL, NULL, "AddMemory", "t:0x1200000000 t:0x8000000 a:", E(OutOfRegion) },
	{ "start misaligned by 1 MiB", NULL, NULL, "AddMemory", "t:0x780100000 t:0x8000000 a:", E(Misaligned) },
	{ "start misaligned by a page", NULL, NULL, "AddMemory", "t:0x780001000 t:0x8000000 a:", E(Misaligned) },
	{ "start misaligned by a byte", NULL, NULL, "AddMemory", "t:0x780000001 t:0x8000000 a:", E(Misaligned) },
	{ "size of one byte", NULL, NULL, "AddMemory", "t:" G30 " t:1 a:", E(Misaligned) },
	{ "size of one page", NULL, NULL, "AddMemory", "t:" G30 " t:0x1000 a:", E(Misaligned) },
	{ "size of a subsection", NULL, NULL, "AddMemory", "t:" G30 " t:0x200000 a:", E(Misaligned) },
	{ "size 127 MiB", NULL, NULL, "AddMemory", "t:" G30 " t:0x7f00000 a:", E(Misaligned) },
	{ "size 129 MiB", NULL, NULL, "AddMemory", "t:" G30 " t:0x8100000 a:", E(Misaligned) },
	{ "overlapping an added range", NULL, NULL, "AddMemory", "t:" G8 " t:0x8000000 a:", E(Overlap) },
	{ "overlapping the end of a range", NULL, NULL, "AddMemory", "t:0x238000000 t:0x10000000 a:", E(Overlap) },
	{ "covering a range", NULL, NULL, "AddMemory", "t:0x1f8000000 t:0x100000000 a:", E(OutOfRegion) },
	{ "over a device range", NULL, NULL, "AddMemory", "t:" G20 " t:0x8000000 a:", E(Overlap) },
	{ "over the namespace in use", NULL, NULL, "AddMemory", "t:0xe00000000 t:0x8000000 a:", E(Overlap) },
	/* ---- AddMemory: options */
	{ "unknown option key", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:nodes=u:0", E(InvalidArgument) },
	{ "empty option key", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:=u:0", E(InvalidArgument) },
	{ "option key of another method", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:type=s:devdax", E(InvalidArgument) },
	{ "option given twice", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:node=u:0,node=u:0", E(InvalidArgument) },
	{ "node as a string", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:node=s:0", E(InvalidArgument) },
	{ "node as int32", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:node=i:0", E(InvalidArgument) },
	{ "node as uint64", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:node=t:0", E(InvalidArgument) },
	{ "node 1024 (MAX_NUMNODES)", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:node=u:1024", E(InvalidArgument) },
	{ "node 2^32-1", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:node=u:4294967295", E(InvalidArgument) },
	{ "online type unknown", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:online=s:bogus", E(InvalidArgument) },
	{ "online type in capitals", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:online=s:ONLINE", E(InvalidArgument) },
	{ "online type with a space", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:online=s:online\\_", E(InvalidArgument) },
	{ "online type empty", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:online=s:", E(InvalidArgument) },
	{ "online type as a number", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:online=u:1", E(InvalidArgument) },
	{ "online type as a boolean", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:online=b:1", E(InvalidArgument) },
	{ "online type 4 KiB long", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:online=s:@long", E(InvalidArgument) },
	{ "memmap_on_memory as a string", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:memmap_on_memory=s:yes", E(InvalidArgument) },
	{ "memmap_on_memory as uint32", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:memmap_on_memory=u:1", E(InvalidArgument) },
	{ "a valid option, then an unknown one", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:node=u:0,bogus=b:1", E(InvalidArgument) },

	/* ---- AddDeviceMemory */
	{ "device: size 0", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0 a:", E(InvalidArgument) },
	{ "device: wrapping", NULL, NULL, "AddDeviceMemory", "t:0xffffffffffe00000 t:0x400000 a:", E(InvalidArgument) },
	{ "device: beyond MAX_PHYSMEM_BITS", NULL, NULL, "AddDeviceMemory", "t:0x400000000000 t:0x200000 a:", E(OutOfRegion) },
	{ "device: outside the region", NULL, NULL, "AddDeviceMemory", "t:0x40000000 t:0x200000 a:", E(OutOfRegion) },
	{ "device: not subsection aligned (1 MiB)", NULL, NULL, "AddDeviceMemory", "t:0x780100000 t:0x200000 a:", E(Misaligned) },
	{ "device: size of one page", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x1000 a:", E(Misaligned) },
	{ "device: size 3 MiB", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x300000 a:", E(Misaligned) },
	{ "device: over System RAM", NULL, NULL, "AddDeviceMemory", "t:" G8 " t:0x200000 a:", E(Overlap) },
	{ "device: over a device range", NULL, NULL, "AddDeviceMemory", "t:0x501000000 t:0x200000 a:", E(Overlap) },
	{ "device: over the namespace", NULL, NULL, "AddDeviceMemory", "t:0xe00000000 t:0x200000 a:", E(Overlap) },
	{ "device: unknown type", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 a:type=s:bogus", E(InvalidArgument) },
	{ "device: type empty", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 a:type=s:", E(InvalidArgument) },
	{ "device: type system-ram", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 a:type=s:system-ram", E(InvalidArgument) },
	{ "device: type as a number", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 a:type=u:3", E(InvalidArgument) },
	{ "device: map unknown", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 a:map=s:both", E(InvalidArgument) },
	{ "device: map as a boolean", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 a:map=b:1", E(InvalidArgument) },
	{ "device: align as a string", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 a:align=s:2M", E(InvalidArgument) },
	{ "device: align as uint32", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 a:align=u:2097152", E(InvalidArgument) },
	{ "device: align 3 MiB", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x600000 a:align=t:0x300000", E(InvalidArgument) },
	{ "device: align 2^63", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 a:align=t:0x8000000000000000", E(InvalidArgument) },
	{ "device: node 5000", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 a:node=u:5000", E(InvalidArgument) },
	{ "device: unknown option", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 a:online=s:online", E(InvalidArgument) },
	{ "device: 1 GiB compound pages in 2 MiB", NULL, NULL, "AddDeviceMemory", "t:" G30 " t:0x200000 a:type=s:private,map=s:dev,align=t:0x40000000", E(Misaligned) },

	/* ---- AddNamespace */
	{ "namespace: unknown name", NULL, NULL, "AddNamespace", "s:namespace9.9 a:", E(NotFound) },
	{ "namespace: empty name", NULL, NULL, "AddNamespace", "s: a:", E(NotFound) },
	{ "namespace: name with a slash", NULL, NULL, "AddNamespace", "s:../namespace0.0 a:", E(NotFound) },
	{ "namespace: 4 KiB name", NULL, NULL, "AddNamespace", "s:@long a:", E(NotFound) },
	{ "namespace: already in use", NULL, NULL, "AddNamespace", "s:namespace0.0 a:", E(Busy) },
	{ "namespace: type raw", NULL, NULL, "AddNamespace", "s:namespace0.0 a:type=s:raw", E(InvalidArgument) },
	{ "namespace: type private", NULL, NULL, "AddNamespace", "s:namespace0.0 a:type=s:private", E(InvalidArgument) },
	{ "namespace: map unknown", NULL, NULL, "AddNamespace", "s:namespace0.0 a:map=s:x", E(InvalidArgument) },
	{ "namespace: align as a string", NULL, NULL, "AddNamespace", "s:namespace0.0 a:align=s:2M", E(InvalidArgument) },
	{ "namespace: node is not an option", NULL, NULL, "AddNamespace", "s:namespace0.0 a:node=u:0", E(InvalidArgument) },

	/* ---- RemoveMemory */
	{ "remove: size 0", NULL, NULL, "RemoveMemory", "t:" G9 " t:0", E(InvalidArgument) },
	{ "remove: wrapping", NULL, NULL, "RemoveMemory", "t:0xfffffffff8000000 t:0x10000000", E(InvalidArgument) },
	{ "remove: boot memory", NULL, NULL, "RemoveMemory", "t:0 t:0x8000000", E(OutOfRegion) },
	{ "remove: beyond MAX_PHYSMEM_BITS", NULL, NULL, "RemoveMemory", "t:0x400000000000 t:0x8000000", E(OutOfRegion) },
	{ "remove: misaligned start", NULL, NULL, "RemoveMemory", "t:0x280100000 t:0x8000000", E(Misaligned) },
	{ "remove: misaligned size", NULL, NULL, "RemoveMemory", "t:" G9 " t:0x100000", E(Misaligned) },
	{ "remove: nothing there", NULL, NULL, "RemoveMemory", "t:" G30 " t:0x8000000", E(NotFound) },
	{ "remove: twice (removed by the fixture)", NULL, NULL, "RemoveMemory", "t:" G12 " t:0x8000000", E(NotFound) },
	{ "remove: online blocks", NULL, NULL, "RemoveMemory", "t:" G8 " t:0x40000000", E(Busy) },
	{ "remove: one online block", NULL, NULL, "RemoveMemory", "t:0x208000000 t:0x8000000", E(Busy) },
	{ "remove: offline range plus nothing after it", NULL, NULL, "RemoveMemory", "t:" G9 " t:0x28000000", E(NotFound) },
	{ "remove: device range with a page reference", NULL, NULL, "RemoveMemory", "t:" G20 " t:0x4000000", E(Busy) },
	{ "remove: part of a device range", NULL, NULL, "RemoveMemory", "t:" G20 " t:0x200000", E(Misaligned) },
	{ "remove: the namespace's range in part", NULL, NULL, "RemoveMemory", "t:0xe00000000 t:0x8000000", E(InvalidArgument) },

	/* ---- OnlineMemory */
	{ "online: already online", NULL, NULL, "OnlineMemory", "t:" G8 " t:0x8000000 s:online", E(InvalidState) },
	{ "online: already online, other zone", NULL, NULL, "OnlineMemory", "t:" G8 " t:0x8000000 s:online_kernel", E(InvalidState) },
	{ "online: offline and online blocks", NULL, NULL, "OnlineMemory", "t:0x238000000 t:0x10000000 s:online", E(InvalidState) },
	{ "online: type offline", NULL, NULL, "OnlineMemory", "t:" G9 " t:0x8000000 s:offline", E(InvalidArgument) },
	{ "online: type unknown", NULL, NULL, "OnlineMemory", "t:" G9 " t:0x8000000 s:movable", E(InvalidArgument) },
	{ "online: type auto-movable (a policy, not a type)", NULL, NULL, "OnlineMemory", "t:" G9 " t:0x8000000 s:auto-movable", E(InvalidArgument) },
	{ "online: type with a newline (sysfs would take it)", NULL, NULL, "OnlineMemory", "t:" G9 " t:0x8000000 s:online\\n", E(InvalidArgument) },
	{ "add: online option with a newline", NULL, NULL, "AddMemory", "t:" G30 " t:0x8000000 a:online=s:online_movable\\n", E(InvalidArgument) },
	{ "policy: with a newline", NULL, NULL, "SetOnlinePolicy", "s:online\\n a:", E(InvalidArgument) },
	{ "online: size 0", NULL, NULL, "OnlineMemory", "t:" G9 " t:0 s:online", E(InvalidArgument) },
	{ "online: wrapping", NULL, NULL, "OnlineMemory", "t:0xfffffffff8000000 t:0x10000000 s:online", E(InvalidArgument) },
	{ "online: misaligned", NULL, NULL, "OnlineMemory", "t:0x280001000 t:0x8000000 s:online", E(Misaligned) },
	{ "online: no blocks there", NULL, NULL, "OnlineMemory", "t:" G30 " t:0x8000000 s:online", E(NotFound) },
	{ "online: boot memory", NULL, NULL, "OnlineMemory", "t:0 t:0x8000000 s:online", E(OutOfRegion) },
	{ "online: device memory", NULL, NULL, "OnlineMemory", "t:" G20 " t:0x8000000 s:online", E(NotFound) },
	{ "online: the whole region", NULL, NULL, "OnlineMemory", "t:" G8 " t:0x1000000000 s:online", E(InvalidState) },

	/* ---- OfflineMemory */
	{ "offline: already offline", NULL, NULL, "OfflineMemory", "t:" G9 " t:0x8000000", E(InvalidState) },
	{ "offline: a page is pinned", NULL, NULL, "OfflineMemory", "t:" G8 " t:0x8000000", E(Busy) },
	{ "offline: the range with the pinned page", NULL, NULL, "OfflineMemory", "t:" G8 " t:0x40000000", E(Busy) },
	{ "offline: nothing there", NULL, NULL, "OfflineMemory", "t:" G30 " t:0x8000000", E(NotFound) },
	{ "offline: size 0", NULL, NULL, "OfflineMemory", "t:" G8 " t:0", E(InvalidArgument) },
	{ "offline: wrapping", NULL, NULL, "OfflineMemory", "t:0xffffffffffffffff t:2", E(InvalidArgument) },
	{ "offline: boot memory", NULL, NULL, "OfflineMemory", "t:0x100000000 t:0x8000000", E(OutOfRegion) },
	{ "offline: misaligned", NULL, NULL, "OfflineMemory", "t:0x208000000 t:0x1000", E(Misaligned) },
	{ "offline: online and offline blocks", NULL, NULL, "OfflineMemory", "t:0x238000000 t:0x10000000", E(InvalidState) },

	/* ---- GetPages / PutPages */
	{ "put: a page without a reference", NULL, NULL, "PutPages", "t:0x200001 t:1", E(InvalidState) },
	{ "put: more than was taken", NULL, NULL, "PutPages", "t:" PFN8G " t:2", E(InvalidState) },
	{ "put: an offline page", NULL, NULL, "PutPages", "t:" PFN9G " t:1", E(InvalidState) },
	{ "put: a device page without a reference", NULL, NULL, "PutPages", "t:0x500011 t:1", E(InvalidState) },
	{ "put: no struct page", NULL, NULL, "PutPages", "t:" PFN30G " t:1", E(NotFound) },
	{ "put: count 0", NULL, NULL, "PutPages", "t:" PFN8G " t:0", E(InvalidArgument) },
	{ "get: count 0", NULL, NULL, "GetPages", "t:" PFN8G " t:0", E(InvalidArgument) },
	{ "get: an offline page", NULL, NULL, "GetPages", "t:" PFN9G " t:1", E(InvalidState) },
	{ "get: offline pages after online ones", NULL, NULL, "GetPages", "t:0x23ffff t:2", E(InvalidState) },
	{ "get: no struct page", NULL, NULL, "GetPages", "t:" PFN30G " t:1", E(NotFound) },
	{ "get: the removed range", NULL, NULL, "GetPages", "t:0x300000 t:1", E(NotFound) },
	{ "get: pfn + count wraps", NULL, NULL, "GetPages", "t:0xffffffffffffffff t:2", E(InvalidArgument) },
	{ "get: pfn of 2^64 bytes", NULL, NULL, "GetPages", "t:0x10000000000000 t:1", E(InvalidArgument) },
	{ "get: count 2^63", NULL, NULL, "GetPages", "t:" PFN8G " t:0x8000000000000000", E(InvalidArgument) },
	{ "get: boot pages", NULL, NULL, "GetPages", "t:0x100 t:1", E(OutOfRegion) },
	{ "get: beyond MAX_PHYSMEM_BITS", NULL, NULL, "GetPages", "t:0x400000000 t:1", E(OutOfRegion) },
	{ "get: straddling the region's start", NULL, NULL, "GetPages", "t:0x1fffff t:2", E(OutOfRegion) },
	{ "get: the whole managed region", NULL, NULL, "GetPages", "t:" PFN8G " t:0x1000000", E(InvalidState) },

	/* ---- LookupPfn (read-only, but bad pfns are refused) */
	{ "lookup: pfn of 2^64 bytes", NULL, NULL, "LookupPfn", "t:0xffffffffffffffff", E(OutOfRegion) },
	{ "lookup: beyond MAX_PHYSMEM_BITS", NULL, NULL, "LookupPfn", "t:0x400000000", E(OutOfRegion) },

	/* ---- Plan: an unknown operation is an error; a bad request is a plan that says no */
	{ "plan: unknown operation", NULL, NULL, "Plan", "s:explode t:" G30 " t:0x8000000 a:", E(InvalidArgument) },
	{ "plan: empty operation", NULL, NULL, "Plan", "s: t:" G30 " t:0x8000000 a:", E(InvalidArgument) },
	{ "plan: operation in capitals", NULL, NULL, "Plan", "s:ONLINE t:" G9 " t:0x8000000 a:", E(InvalidArgument) },
	{ "plan: a bus method name", NULL, NULL, "Plan", "s:AddMemory t:" G30 " t:0x8000000 a:", E(InvalidArgument) },
	{ "plan: 4 KiB operation", NULL, NULL, "Plan", "s:@long t:" G30 " t:0x8000000 a:", E(InvalidArgument) },
	{ "plan: add-memory misaligned", NULL, NULL, "Plan", "s:add-memory t:0x780100000 t:0x8000000 a:", PLAN(Misaligned) },
	{ "plan: add-memory overlapping", NULL, NULL, "Plan", "s:add-memory t:" G8 " t:0x8000000 a:", PLAN(Overlap) },
	{ "plan: add-memory size 0", NULL, NULL, "Plan", "s:add-memory t:" G30 " t:0 a:", PLAN(InvalidArgument) },
	{ "plan: add-memory wrapping", NULL, NULL, "Plan", "s:add-memory t:0xfffffffff8000000 t:0x10000000 a:", PLAN(InvalidArgument) },
	{ "plan: add-memory outside", NULL, NULL, "Plan", "s:add-memory t:0 t:0x8000000 a:", PLAN(OutOfRegion) },
	{ "plan: add-memory unknown option", NULL, NULL, "Plan", "s:add-memory t:" G30 " t:0x8000000 a:bogus=u:1", PLAN(InvalidArgument) },
	{ "plan: add-memory option of the wrong type", NULL, NULL, "Plan", "s:add-memory t:" G30 " t:0x8000000 a:node=s:0", PLAN(InvalidArgument) },
	{ "plan: add-device bad type", NULL, NULL, "Plan", "s:add-device t:" G30 " t:0x200000 a:type=s:bogus", PLAN(InvalidArgument) },
	{ "plan: add-device over RAM", NULL, NULL, "Plan", "s:add-device t:" G8 " t:0x200000 a:", PLAN(Overlap) },
	{ "plan: add-namespace where none is", NULL, NULL, "Plan", "s:add-namespace t:" G30 " t:0x8000000 a:", PLAN(NotFound) },
	{ "plan: add-namespace in use", NULL, NULL, "Plan", "s:add-namespace t:0xe00000000 t:0x400000000 a:", PLAN(Busy) },
	{ "plan: remove-range nothing there", NULL, NULL, "Plan", "s:remove-range t:" G30 " t:0x8000000 a:", PLAN(NotFound) },
	{ "plan: remove-range online", NULL, NULL, "Plan", "s:remove-range t:" G8 " t:0x8000000 a:", PLAN(Busy) },
	{ "plan: remove-range with options", NULL, NULL, "Plan", "s:remove-range t:" G9 " t:0x8000000 a:online=s:x", PLAN(InvalidArgument) },
	{ "plan: online of online", NULL, NULL, "Plan", "s:online t:" G8 " t:0x8000000 a:", PLAN(InvalidState) },
	{ "plan: online bad type", NULL, NULL, "Plan", "s:online t:" G9 " t:0x8000000 a:online=s:offline", PLAN(InvalidArgument) },
	{ "plan: offline of offline", NULL, NULL, "Plan", "s:offline t:" G9 " t:0x8000000 a:", PLAN(InvalidState) },
	{ "plan: offline pinned", NULL, NULL, "Plan", "s:offline t:" G8 " t:0x8000000 a:", PLAN(Busy) },

	/* ---- SetOnlinePolicy */
	{ "policy: unknown", NULL, NULL, "SetOnlinePolicy", "s:bogus a:", E(InvalidArgument) },
	{ "policy: empty", NULL, NULL, "SetOnlinePolicy", "s: a:", E(InvalidArgument) },
	{ "policy: capitals", NULL, NULL, "SetOnlinePolicy", "s:OFFLINE a:", E(InvalidArgument) },
	{ "policy: the config file's spelling contig-zones", NULL, NULL, "SetOnlinePolicy", "s:contig-zones a:", E(InvalidArgument) },
	{ "policy: auto_movable with an underscore", NULL, NULL, "SetOnlinePolicy", "s:auto_movable a:", E(InvalidArgument) },
	{ "policy: trailing space", NULL, NULL, "SetOnlinePolicy", "s:online\\_ a:", E(InvalidArgument) },
	{ "policy: 4 KiB", NULL, NULL, "SetOnlinePolicy", "s:@long a:", E(InvalidArgument) },
	{ "policy: ratio with a policy that has none", NULL, NULL, "SetOnlinePolicy", "s:online a:ratio=u:100", E(InvalidArgument) },
	{ "policy: ratio as a string", NULL, NULL, "SetOnlinePolicy", "s:auto-movable a:ratio=s:100", E(InvalidArgument) },
	{ "policy: ratio as uint64", NULL, NULL, "SetOnlinePolicy", "s:auto-movable a:ratio=t:100", E(InvalidArgument) },
	{ "policy: ratio as int32", NULL, NULL, "SetOnlinePolicy", "s:auto-movable a:ratio=i:-1", E(InvalidArgument) },
	{ "policy: unknown option", NULL, NULL, "SetOnlinePolicy", "s:auto-movable a:numa_aware=b:1", E(InvalidArgument) },
	{ "policy: ratio twice", NULL, NULL, "SetOnlinePolicy", "s:auto-movable a:ratio=u:1,ratio=u:2", E(InvalidArgument) },

	/* ---- List */
	{ "list: unknown kind", NULL, NULL, "List", "s:bogus a:", E(InvalidArgument) },
	{ "list: empty kind", NULL, NULL, "List", "s: a:", E(InvalidArgument) },
	{ "list: kind in capitals", NULL, NULL, "List", "s:BLOCKS a:", E(InvalidArgument) },
	{ "list: kind singular", NULL, NULL, "List", "s:block a:", E(InvalidArgument) },
	{ "list: kind with a space", NULL, NULL, "List", "s:blocks\\_ a:", E(InvalidArgument) },
	{ "list: all as a string", NULL, NULL, "List", "s:blocks a:all=s:yes", E(InvalidArgument) },
	{ "list: unknown option", NULL, NULL, "List", "s:blocks a:verbose=b:1", E(InvalidArgument) },
};

/* ---------------------------------------------------------------- the argument language */

static char long_string[4097];

/* Unescape a string token: "\_" is a space, "\n" a newline; "@long" the 4 KiB string. */
static const char *str_value(const char *tok, char *buf, size_t len)
{
	size_t o = 0;

	if (!strcmp(tok, "@long"))
		return long_string;
	for (; *tok && o + 1 < len; tok++) {
		if (tok[0] == '\\' && tok[1] == '_') {
			buf[o++] = ' ';
			tok++;
		} else if (tok[0] == '\\' && tok[1] == 'n') {
			buf[o++] = '\n';
			tok++;
		} else {
			buf[o++] = *tok;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* One scalar of type t (a D-Bus type letter) from its text. */
static int append_scalar(sd_bus_message *m, char t, const char *v)
{
	char buf[256];
	double dv;

	switch (t) {
	case 't': return sd_bus_message_append(m, "t", (uint64_t)strtoull(v, NULL, 0));
	case 'x': return sd_bus_message_append(m, "x", (int64_t)strtoll(v, NULL, 0));
	case 'u': return sd_bus_message_append(m, "u", (uint32_t)strtoul(v, NULL, 0));
	case 'i': return sd_bus_message_append(m, "i", (int32_t)strtol(v, NULL, 0));
	case 'q': return sd_bus_message_append(m, "q", (uint16_t)strtoul(v, NULL, 0));
	case 'y': return sd_bus_message_append(m, "y", (uint8_t)strtoul(v, NULL, 0));
	case 'b': return sd_bus_message_append(m, "b", (int)strtol(v, NULL, 0));
	case 'd': dv = strtod(v, NULL); return sd_bus_message_append(m, "d", dv);
	case 's': return sd_bus_message_append(m, "s", str_value(v, buf, sizeof(buf)));
	case 'o': return sd_bus_message_append(m, "o", v);
	case 'g': return sd_bus_message_append(m, "g", v);
	}
	return -EINVAL;
}

/* a:k=T:V,... → a{sv};  A:k=V,... → a{ss};  S:v|v → as */
static int append_container(sd_bus_message *m, char kind, char *body)
{
	const char *sig = kind == 'a' ? "{sv}" : kind == 'A' ? "{ss}" : "s";
	char *save = NULL, *item, buf[256];
	int r;

	r = sd_bus_message_open_container(m, 'a', sig);
	for (item = strtok_r(body, kind == 'S' ? "|" : ",", &save); r >= 0 && item;
	     item = strtok_r(NULL, kind == 'S' ? "|" : ",", &save)) {
		char *eq = strchr(item, '=');

		if (kind == 'S') {
			r = sd_bus_message_append(m, "s", str_value(item, buf, sizeof(buf)));
			continue;
		}
		if (!eq)
			return -EINVAL;
		*eq = '\0';
		r = sd_bus_message_open_container(m, 'e', kind == 'a' ? "sv" : "ss");
		if (r >= 0)
			r = sd_bus_message_append(m, "s", item);
		if (r >= 0 && kind == 'A')
			r = sd_bus_message_append(m, "s", str_value(eq + 1, buf, sizeof(buf)));
		if (r >= 0 && kind == 'a') {
			char t = eq[1];

			if (eq[2] != ':')
				return -EINVAL;
			r = sd_bus_message_open_container(m, 'v', (char[2]){ t, 0 });
			if (r >= 0)
				r = append_scalar(m, t, eq + 3);
			if (r >= 0)
				r = sd_bus_message_close_container(m);
		}
		if (r >= 0)
			r = sd_bus_message_close_container(m);
	}
	return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_args(sd_bus_message *m, const char *args)
{
	char *copy = strdup(args), *save = NULL, *tok;
	int r = copy ? 0 : -ENOMEM;

	for (tok = copy ? strtok_r(copy, " ", &save) : NULL; r >= 0 && tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (tok[1] != ':') {
			r = -EINVAL;
		} else if (tok[0] == 'a' || tok[0] == 'A' || tok[0] == 'S') {
			r = append_container(m, tok[0], tok + 2);
		} else if (tok[0] == 'v') {
			/* v:T:V, a variant argument (Properties.Set) */
			r = sd_bus_message_open_container(m, 'v', (char[2]){ tok[2], 0 });
			if (r >= 0)
				r = append_scalar(m, tok[2], tok + 4);
			if (r >= 0)
				r = sd_bus_message_close_container(m);
		} else {
			r = append_scalar(m, tok[0], tok + 2);
		}
	}
	free(copy);
	return r;
}

/* ---------------------------------------------------------------- running a case */

/*
 * The state every case is checked against: Describe, every List, the refcounts of the pages
 * the fixture pinned (LookupPfn) and the policy properties.
 */
static char *state(sd_bus *bus)
{
	static const char *const pfns[] = { PFN8G, "0x500010", "0x200001", PFN9G };
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char *s = NULL;
	size_t i;
	int r;

	r = rel_state(bus, &e, &s);
	sd_bus_error_free(&e);
	if (r < 0)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(pfns); i++) {
		sd_bus_message *reply = NULL;
		char *dump = NULL, *ns;
		size_t len = 0;
		FILE *f;

		r = sd_bus_call_method(bus, PMM_BUS_NAME, MGR, PMM_MANAGER_IFACE, "LookupPfn", NULL,
				       &reply, "t", (uint64_t)strtoull(pfns[i], NULL, 0));
		f = r >= 0 ? open_memstream(&dump, &len) : NULL;
		if (f) {
			/* the body only (no header: cookies differ) */
			sd_bus_message_dump(reply, f, 0);
			fclose(f);
		}
		sd_bus_message_unref(reply);
		if (!dump || asprintf(&ns, "%s%s", s, dump) < 0) {
			free(dump);
			free(s);
			return NULL;
		}
		free(dump);
		free(s);
		s = ns;
	}
	return s;
}

static int send_case(sd_bus *bus, const struct hcase *c, sd_bus_error *e, sd_bus_message **reply)
{
	sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, PMM_BUS_NAME, c->path ? c->path : MGR,
					   c->iface ? c->iface : PMM_MANAGER_IFACE, c->member);
	if (r >= 0)
		r = append_args(m, c->args);
	if (r < 0) {
		sd_bus_message_unref(m);
		return r;
	}
	r = sd_bus_call(bus, m, 30 * 1000000ULL, e, reply);
	sd_bus_message_unref(m);
	return r;
}

/* A Plan reply: ok and error. */
static int plan_result(sd_bus_message *reply, int *okp, char *error, size_t len)
{
	const char *key, *s;
	int r;

	*okp = -1;
	error[0] = '\0';
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		r = sd_bus_message_read(reply, "s", &key);
		if (r >= 0 && !strcmp(key, "ok")) {
			r = sd_bus_message_read(reply, "v", "b", okp);
		} else if (r >= 0 && !strcmp(key, "error")) {
			r = sd_bus_message_read(reply, "v", "s", &s);
			if (r >= 0)
				snprintf(error, len, "%s", s);
		} else if (r >= 0) {
			r = sd_bus_message_skip(reply, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	return r;
}

/* Send one case; 1 if it got the answer it wants, with *what saying what it got. */
static bool run_case(sd_bus *bus, const struct hcase *c, char *got, size_t len)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	bool plan = c->want && !strncmp(c->want, "plan:", 5);
	bool good;
	int r, pok;
	char perr[128];

	r = send_case(bus, c, &e, &reply);
	if (r < 0 && !sd_bus_error_is_set(&e)) {
		snprintf(got, len, "local error %s", strerror(-r));
		good = false;
	} else if (r < 0) {
		snprintf(got, len, "%s: %s", e.name, e.message ? e.message : "");
		/* the daemon's own errors must say what and why */
		good = c->want && !plan && !strcmp(e.name, c->want) &&
		       (strncmp(e.name, PMM_ERROR_PREFIX, strlen(PMM_ERROR_PREFIX)) ||
			(e.message && strlen(e.message) > 10));
	} else if (plan) {
		r = plan_result(reply, &pok, perr, sizeof(perr));
		snprintf(got, len, "plan ok=%d error=%s", pok, perr);
		good = r >= 0 && pok == 0 && !strcmp(perr, c->want + 5);
	} else {
		snprintf(got, len, "success");
		good = c->want == NULL;
	}
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	return good;
}

/*
 * hostile ADDRESS --call METHOD ARGS: one Manager call in the argument language, for scripts
 * that need the error's name (busctl prints only its message): the reply's body on stdout and
 * exit 0, or "NAME: message" on stderr and exit 1.
 */
static int call_one(sd_bus *bus, const char *member, const char *args)
{
	struct hcase c = { .what = "call", .member = member, .args = args };
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r = send_case(bus, &c, &e, &reply);

	if (r < 0) {
		fprintf(stderr, "%s: %s\n", e.name ? e.name : "local", e.message ? e.message : strerror(-r));
		sd_bus_error_free(&e);
		return 1;
	}
	sd_bus_message_dump(reply, stdout, 0);
	sd_bus_message_unref(reply);
	return 0;
}

int main(int argc, char **argv)
{
	sd_bus *bus = NULL;
	char *before, *after, got[700];
	size_t i;
	int r;

	if (argc != 2 && !(argc == 5 && !strcmp(argv[2], "--call"))) {
		fprintf(stderr, "usage: hostile ADDRESS [--call METHOD ARGS]\n");
		return 2;
	}
	memset(long_string, 'x', sizeof(long_string) - 1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = rel_bus_open(argv[1], &bus);
	if (r < 0) {
		printf("Bail out! cannot connect: %s\n", strerror(-r));
		return 1;
	}
	if (argc == 5) {
		r = call_one(bus, argv[3], argv[4]);
		sd_bus_flush_close_unref(bus);
		return r;
	}
	for (i = 0; i < ARRAY_SIZE(fixture); i++) {
		if (!ok(run_case(bus, &fixture[i], got, sizeof(got)), "fixture: %s (%s)",
			fixture[i].what, got)) {
			printf("Bail out! the fixture failed\n");
			return 1;
		}
	}
	before = state(bus);
	if (!ok(before != NULL, "read the state before the bad requests"))
		return tap_done();
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct hcase *c = &cases[i];
		bool good = run_case(bus, c, got, sizeof(got));

		after = state(bus);
		if (!ok(good && after && !strcmp(before, after), "%s: %s(%.60s) -> %s%s", c->what,
			c->member, c->args, c->want ? c->want : "success",
			!after ? " (the daemon stopped answering)" :
			strcmp(before, after) ? " (the state changed)" : "")) {
			printf("#   got: %s\n", got);
			if (after && strcmp(before, after))
				rel_diag_diff("after", after, "before", before);
		}
		if (!after) {
			printf("Bail out! the daemon does not answer reads any more\n");
			break;
		}
		free(after);
	}
	ok(ARRAY_SIZE(cases) >= 200, "%zu bad requests in the table", ARRAY_SIZE(cases));
	free(before);
	sd_bus_flush_close_unref(bus);
	return tap_done();
}
