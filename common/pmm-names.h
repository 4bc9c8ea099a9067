/* SPDX-License-Identifier: MIT */
/*
 * Names shared by pmm-hotplugd and pmmctl. The daemon and the client both include this file, so
 * the two can never disagree about a bus name, an error name or a JSON field.
 * dbus/org.pmm.Hotplug1.xml is the normative description of the API these name.
 */
#ifndef PMM_COMMON_NAMES_H
#define PMM_COMMON_NAMES_H

#define PMM_BUS_NAME          "org.pmm.Hotplug1"
#define PMM_MANAGER_PATH      "/org/pmm/Hotplug1"
#define PMM_MANAGER_IFACE     "org.pmm.Hotplug1.Manager"
#define PMM_BLOCK_IFACE       "org.pmm.Hotplug1.Block"
#define PMM_RANGE_IFACE       "org.pmm.Hotplug1.Range"
#define PMM_NAMESPACE_IFACE   "org.pmm.Hotplug1.Namespace"
#define PMM_BLOCK_PREFIX      "/org/pmm/Hotplug1/block"
#define PMM_RANGE_PREFIX      "/org/pmm/Hotplug1/range"
#define PMM_NAMESPACE_PREFIX  "/org/pmm/Hotplug1/namespace"

/* Environment variable that stands for --address in pmmctl. */
#define PMM_ENV_BUS_ADDRESS   "PMM_BUS_ADDRESS"

/* Default configuration file of the daemon. */
#define PMM_DEFAULT_CONFIG    "/etc/pmm-hotplugd/pmm-hotplugd.json"

/* D-Bus error names: org.pmm.Hotplug1.Error.<X> */
#define PMM_ERROR_PREFIX          "org.pmm.Hotplug1.Error."
#define PMM_ERROR_INVALID_ARGUMENT PMM_ERROR_PREFIX "InvalidArgument"
#define PMM_ERROR_MISALIGNED      PMM_ERROR_PREFIX "Misaligned"
#define PMM_ERROR_OUT_OF_REGION   PMM_ERROR_PREFIX "OutOfRegion"
#define PMM_ERROR_OVERLAP         PMM_ERROR_PREFIX "Overlap"
#define PMM_ERROR_NOT_FOUND       PMM_ERROR_PREFIX "NotFound"
#define PMM_ERROR_BUSY            PMM_ERROR_PREFIX "Busy"
#define PMM_ERROR_INVALID_STATE   PMM_ERROR_PREFIX "InvalidState"
#define PMM_ERROR_NO_SPACE        PMM_ERROR_PREFIX "NoSpace"
#define PMM_ERROR_UNSUPPORTED     PMM_ERROR_PREFIX "Unsupported"
#define PMM_ERROR_ACCESS_DENIED   PMM_ERROR_PREFIX "AccessDenied"
#define PMM_ERROR_FAILED          PMM_ERROR_PREFIX "Failed"

/* Option keys of the a{sv} arguments. */
#define PMM_OPT_NODE              "node"
#define PMM_OPT_ONLINE            "online"
#define PMM_OPT_MEMMAP_ON_MEMORY  "memmap_on_memory"
#define PMM_OPT_TYPE              "type"
#define PMM_OPT_MAP               "map"
#define PMM_OPT_ALIGN             "align"
#define PMM_OPT_RATIO             "ratio"
#define PMM_OPT_ALL               "all"

/* List() kinds = the JSON listing keys. */
#define PMM_LIST_BLOCKS      "blocks"
#define PMM_LIST_RANGES      "ranges"
#define PMM_LIST_SECTIONS    "sections"
#define PMM_LIST_NAMESPACES  "namespaces"

/* pmmctl exit status (the contract). */
enum pmm_exit {
	PMM_EXIT_OK = 0,
	PMM_EXIT_REFUSED = 1,      /* the daemon refused or failed the request */
	PMM_EXIT_USAGE = 2,        /* usage error, nothing sent */
	PMM_EXIT_UNREACHABLE = 3,  /* the daemon cannot be reached */
};

#endif
