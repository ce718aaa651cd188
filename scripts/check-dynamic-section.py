#!/usr/bin/env python3
"""Reads the dynamic sections of shared libraries and fails on any libtorch, c10 or Gloo entry.

    scripts/check-dynamic-section.py LIBRARY [LIBRARY ...] [--json]

For each LIBRARY it parses the ELF file itself (no readelf, no loader: nothing is run), takes its
DT_NEEDED entries and resolves each the way the dynamic loader would (DT_RPATH, then LD_LIBRARY_PATH,
DT_RUNPATH, then the system folders; `$ORIGIN` is the folder of the object that needs it), and walks on
through every library found, so a forbidden library pulled in at any depth is caught, with the chain that
pulls it in. A NEEDED entry that cannot be found is reported too (exit 1): what cannot be read cannot be
shown torch-free.

Exit 0 when no library in any closure is libtorch*, libc10*, libtorch_cpu*, libgloo* (or their CUDA
kin: libc10_cuda, libtorch_cuda); 1 otherwise, naming each offender and its chain; 2 on bad arguments.
python/tests/test_dynamic_section.py runs it on the built library, on the wheel's libraries and, so that
it cannot pass by accident, on the CLI, which links libtorch and must fail.
"""
import json
import os
import re
import struct
import sys

FORBIDDEN = re.compile(r"^lib(torch|torch_cpu|torch_cuda|torch_global_deps|c10|c10_cuda|gloo)([-_.].*)?\.so")
SYSTEM_DIRS = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
               "/usr/local/lib"]

DT_NULL, DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 1, 5, 15, 29


class ElfError(Exception):
    pass


def dynamic_section(path):
    """(needed, rpath, runpath) of the ELF file at `path`: its DT_NEEDED names and search paths."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        raise ElfError(f"{path}: not an ELF file")
    if data[4] != 2:
        raise ElfError(f"{path}: not a 64-bit ELF file")
    end = "<" if data[5] == 1 else ">"
    phoff, = struct.unpack_from(end + "Q", data, 0x20)
    phentsize, phnum = struct.unpack_from(end + "HH", data, 0x36)
    loads, dynamic = [], None
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz, _memsz, _align = struct.unpack_from(
            end + "IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:                    # PT_LOAD: maps addresses to file offsets
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == 2:                  # PT_DYNAMIC
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return [], [], []                  # a static object needs nothing

    def offset_of(vaddr):
        for start, off, size in loads:
            if start <= vaddr < start + size:
                return off + vaddr - start
        raise ElfError(f"{path}: address {vaddr:#x} is outside every loaded segment")

    entries, strtab = [], None
    for pos in range(dynamic[0], dynamic[0] + dynamic[1], 16):
        tag, value = struct.unpack_from(end + "qQ", data, pos)
        if tag == DT_NULL:
            break
        if tag == DT_STRTAB:
            strtab = offset_of(value)
        entries.append((tag, value))
    if strtab is None:
        raise ElfError(f"{path}: dynamic section without a string table")

    def string(index):
        stop = data.index(b"\0", strtab + index)
        return data[strtab + index:stop].decode()

    needed = [string(v) for t, v in entries if t == DT_NEEDED]
    rpath = [p for t, v in entries if t == DT_RPATH for p in string(v).split(":") if p]
    runpath = [p for t, v in entries if t == DT_RUNPATH for p in string(v).split(":") if p]
    return needed, rpath, runpath


def resolve(name, origin, rpath, runpath):
    """The file the loader would open for NEEDED `name` of an object in folder `origin`, or None."""
    if "/" in name:
        return name if os.path.isfile(name) else None
    env = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    order = ([] if runpath else rpath) + env + runpath + SYSTEM_DIRS
    for folder in order:
        folder = folder.replace("$ORIGIN", origin).replace("${ORIGIN}", origin)
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return os.path.realpath(candidate)
    return None


def closure(root):
    """Every library `root` loads, transitively: {path: chain of names from root}, and the unresolved."""
    root = os.path.realpath(root)
    seen = {root: [os.path.basename(root)]}
    missing = []
    todo = [root]
    while todo:
        path = todo.pop()
        needed, rpath, runpath = dynamic_section(path)
        for name in needed:
            found = resolve(name, os.path.dirname(path), rpath, runpath)
            if found is None:
                missing.append(seen[path] + [name])
            elif found not in seen:
                seen[found] = seen[path] + [name]
                todo.append(found)
    return seen, missing


def check(paths):
    """A report per library: its closure's size, the forbidden entries and the unresolved ones."""
    reports = []
    for path in paths:
        libs, missing = closure(path)
        forbidden = [chain for chain in libs.values() if FORBIDDEN.match(chain[-1])]
        forbidden += [chain for chain in missing if FORBIDDEN.match(chain[-1])]
        reports.append({"library": path, "loads": len(libs) - 1,
                        "forbidden": [" -> ".join(c) for c in forbidden],
                        "unresolved": [" -> ".join(c) for c in missing]})
    return reports


def main(argv):
    args = [a for a in argv if a != "--json"]
    if not args or any(a.startswith("-") for a in args):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        reports = check(args)
    except (OSError, ElfError) as e:
        print(f"check-dynamic-section: {e}", file=sys.stderr)
        return 1
    bad = any(r["forbidden"] or r["unresolved"] for r in reports)
    if "--json" in argv:
        print(json.dumps(reports, indent=2))
    else:
        for r in reports:
            verdict = "FAIL" if r["forbidden"] or r["unresolved"] else "ok"
            print(f"{verdict}: {r['library']} loads {r['loads']} libraries")
            for c in r["forbidden"]:
                print(f"  forbidden: {c}")
            for c in r["unresolved"]:
                print(f"  not found: {c}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
