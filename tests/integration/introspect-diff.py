#!/usr/bin/env python3
"""Compare two D-Bus introspection documents for the interfaces of the first one.

usage: introspect-diff.py CONTRACT.xml LIVE.xml [NODE-PATH]

Prints one line per member (method, signal, property) of each org.pmm.* interface of CONTRACT
that is missing from LIVE, differs in signature/direction/access, or exists in LIVE but not in
CONTRACT. Exit 0 when they agree.
"""
import sys
import xml.etree.ElementTree as ET


def members(root, prefix="org.pmm."):
    out = {}
    for iface in root.iter("interface"):
        name = iface.get("name")
        if not name.startswith(prefix):
            continue
        for m in iface:
            if m.tag == "method":
                sig = tuple((a.get("direction", "in"), a.get("type")) for a in m.findall("arg"))
            elif m.tag == "signal":
                sig = tuple(a.get("type") for a in m.findall("arg"))
            elif m.tag == "property":
                sig = (m.get("type"), m.get("access"))
            else:
                continue
            out[(name, m.tag, m.get("name"))] = sig
    return out


def main():
    want = members(ET.parse(sys.argv[1]).getroot())
    got = members(ET.parse(sys.argv[2]).getroot())
    ifaces = set(k[0] for k in got)
    # only compare the interfaces the live object actually carries
    want = {k: v for k, v in want.items() if k[0] in ifaces}
    bad = 0
    for k in sorted(set(want) | set(got)):
        if k not in got:
            print("missing live: %s %s %s %s" % (k + (want[k],)))
        elif k not in want:
            print("not in contract: %s %s %s %s" % (k + (got[k],)))
        elif want[k] != got[k]:
            print("differs: %s %s %s contract=%s live=%s" % (k + (want[k], got[k])))
        else:
            continue
        bad += 1
    if not want:
        print("no org.pmm interface found on the live object")
        bad += 1
    return 1 if bad else 0


sys.exit(main())
