#!/usr/bin/env python3
"""Checks the include graph of the C++ sources under toil/ against its layers.

Every folder of toil/ has a layer (LAYERS below, lowest first); a file may
include files of its own folder and of folders on lower layers only, never
one above. The graph of files, and the graph of folders, must have no loop.
Prints one line per fault and "include graph: ok: N files, M includes" or
"include graph: FAILED: ..."; exits 1 on a fault.

    scripts/include_graph.py
"""
import os
import re
import sys

# Lowest first. Folders on one line are on one layer (they may not include
# each other either way unless listed in SAME_LAYER_ORDER).
LAYERS = [
    ["toil/rtlog/base"],
    ["toil/rtlog/common"],
    ["toil/rtlog/wire"],
    ["toil/rtlog/job", "toil/rtlog/sinks"],
    ["toil/rtlog", "toil/rtlog/leader/format"],
    ["toil/rtlog/capture", "toil/rtlog/leader/ingest"],
    ["toil/rtlog/leader/control", "toil/rtlog/leader/report"],
    ["toil/rtlog/leader"],
    ["toil/batch"],
    ["toil/runner"],
    ["toil/cli"],
]
INCLUDE = re.compile(r'^#include "((?:toil)/[^"]+)"', re.M)


def main():
    layer_of = {folder: i for i, folders in enumerate(LAYERS) for folder in folders}
    files = []
    for root, _, names in os.walk("toil"):
        files += [os.path.join(root, n) for n in names if n.endswith((".h", ".cc", ".inc"))]
    faults = []
    edges = {}
    includes = 0
    for path in sorted(files):
        if path.endswith("_test.cc"):
            continue  # tests may reach anything they test
        folder = os.path.dirname(path)
        if folder not in layer_of:
            faults.append("%s: its folder has no layer in scripts/include_graph.py" % path)
            continue
        for target in INCLUDE.findall(open(path, encoding="utf-8").read()):
            includes += 1
            to = os.path.dirname(target)
            edges.setdefault(path, set()).add(target)
            if to == folder:
                continue
            if to not in layer_of:
                faults.append("%s includes %s, in a folder with no layer" % (path, target))
            elif layer_of[to] >= layer_of[folder]:
                faults.append("%s (layer %d) includes %s (layer %d): not below it" %
                              (path, layer_of[folder], target, layer_of[to]))
    faults += loops(edges, lambda f: f, "files")
    faults += loops(edges, os.path.dirname, "folders")
    for fault in faults:
        print("include graph: FAILED: " + fault)
    if faults:
        return 1
    print("include graph: ok: %d files, %d includes, no loop, nothing includes upward" %
          (len(files), includes))
    return 0


def loops(edges, node, what):
    """Loops in the graph of `what` (files, or their folders), as faults."""
    graph = {}
    for source, targets in edges.items():
        for target in targets:
            a, b = node(source), node(target)
            # A header and its source are one unit.
            if a != b and strip(a) != strip(b):
                graph.setdefault(a, set()).add(b)
    faults, state = [], {}

    def visit(n, stack):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                faults.append("a loop of %s: %s" % (what, " -> ".join(stack[stack.index(m):] + [m])))
            elif m not in state:
                visit(m, stack)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [])
    return faults


def strip(path):
    return re.sub(r"\.(h|cc|inc)$", "", path)


if __name__ == "__main__":
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    sys.exit(main())
