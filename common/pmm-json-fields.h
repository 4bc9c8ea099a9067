/* SPDX-License-Identifier: MIT */
/*
 * JSON field names of the contract's shapes (product.md, "JSON shapes are stable"). The daemon
 * builds these objects and pmmctl reads them back, both through these names.
 */
#ifndef PMM_COMMON_JSON_FIELDS_H
#define PMM_COMMON_JSON_FIELDS_H

/* status */
#define PMM_J_VERSION             "version"
#define PMM_J_BACKEND             "backend"
#define PMM_J_ARCH                "arch"
#define PMM_J_MEMORY_MODEL        "memory_model"
#define PMM_J_PAGE_SIZE           "page_size"
#define PMM_J_SECTION_SIZE        "section_size"
#define PMM_J_SUBSECTION_SIZE     "subsection_size"
#define PMM_J_BLOCK_SIZE          "block_size"
#define PMM_J_MAX_PHYSMEM_BITS    "max_physmem_bits"
#define PMM_J_MANAGED_REGIONS     "managed_regions"
#define PMM_J_PRESENT_BYTES       "present_bytes"
#define PMM_J_ONLINE_BYTES        "online_bytes"
#define PMM_J_DEVICE_BYTES        "device_bytes"
#define PMM_J_MEMMAP_RAM_BYTES    "memmap_ram_bytes"
#define PMM_J_MEMMAP_DEVICE_BYTES "memmap_device_bytes"
#define PMM_J_AUTO_ONLINE_BLOCKS  "auto_online_blocks"

/* common */
#define PMM_J_ID          "id"
#define PMM_J_START       "start"
#define PMM_J_SIZE        "size"
#define PMM_J_NODE        "node"

/* block */
#define PMM_J_STATE       "state"
#define PMM_J_ZONE        "zone"
#define PMM_J_VALID_ZONES "valid_zones"
#define PMM_J_REMOVABLE   "removable"
#define PMM_J_MANAGED     "managed"

/* range */
#define PMM_J_KIND        "kind"
#define PMM_J_TYPE        "type"
#define PMM_J_MAP         "map"
#define PMM_J_ALIGN       "align"
#define PMM_J_ALTMAP      "altmap"
#define PMM_J_BASE_PFN    "base_pfn"
#define PMM_J_RESERVE     "reserve"
#define PMM_J_FREE        "free"
#define PMM_J_ALLOC       "alloc"
#define PMM_J_REFS        "refs"
#define PMM_J_NAMESPACE   "namespace"

/* section */
#define PMM_J_NR          "nr"
#define PMM_J_PRESENT     "present"
#define PMM_J_ONLINE      "online"
#define PMM_J_EARLY       "early"
#define PMM_J_HAS_MEMMAP  "has_memmap"
#define PMM_J_ZONE_DEVICE "zone_device"
#define PMM_J_SUBSECTIONS "subsections"

/* namespace */
#define PMM_J_DEV         "dev"
#define PMM_J_MODE        "mode"
#define PMM_J_NUMA_NODE   "numa_node"
#define PMM_J_SOURCE      "source"
#define PMM_J_IN_USE      "in_use"

/* pfn */
#define PMM_J_PFN         "pfn"
#define PMM_J_VALID       "valid"
#define PMM_J_SECTION     "section"
#define PMM_J_SUBSECTION  "subsection"
#define PMM_J_BLOCK       "block"
#define PMM_J_REFCOUNT    "refcount"
#define PMM_J_FLAGS       "flags"
#define PMM_J_MEMMAP      "memmap"
#define PMM_J_PGMAP       "pgmap"

/* plan */
#define PMM_J_OK             "ok"
#define PMM_J_ERROR          "error"
#define PMM_J_SECTIONS       "sections"
#define PMM_J_BLOCKS         "blocks"
#define PMM_J_MEMMAP_BYTES   "memmap_bytes"
#define PMM_J_MEMMAP_LOCATION "memmap_location"

/* error object */
#define PMM_J_NAME        "name"
#define PMM_J_MESSAGE     "message"

#endif
