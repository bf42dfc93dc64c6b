#!/usr/bin/env python3
"""perf_threads.py: a perf.data split by thread name (hookd names its threads: README "Operations").

Reads `perf script -F comm,ip,sym,dso` on stdin and prints, for each thread name, its share of the
samples; then, as shares of that thread's own samples, the samples whose stack passes through each
path below (kernel functions, and hookd's own json_parse; callees included) and the library each
sample's leaf frame is in.

It counts stacks itself because `perf report --comm X --children` gave shares above 100% on this
machine's perf. Debian's SQLite has no frame pointers, so user-space stacks that pass through it
are cut short: only the kernel paths and the leaf frames are trusted here.

Usage: perf script -i perf.data -F comm,ip,sym,dso | bench/perf_threads.py [--min PERCENT]
"""
import collections
import sys

PATHS = [
    ("__x64_sys_fdatasync", "fdatasync"),
    ("blkdev_issue_flush", "  of which the device's cache flush"),
    ("__x64_sys_pwrite64", "pwrite64"),
    ("__x64_sys_pread64", "pread64"),
    ("futex_wait", "futex wait (asleep until woken)"),
    ("futex_wake", "futex wake (waking another thread)"),
    ("__x64_sys_poll", "poll"),
    ("ksys_read", "read (sockets)"),
    ("ksys_write", "write (sockets)"),
    ("iowrite16", "virtio doorbell (a VM exit per kick)"),
    ("finish_task_switch", "being switched back in"),
    ("json_parse", "json_parse"),
]


def main():
    min_share = 1.0
    if len(sys.argv) == 3 and sys.argv[1] == "--min":
        min_share = float(sys.argv[2])
    elif len(sys.argv) != 1:
        sys.exit(__doc__.strip().splitlines()[-1])
    total = collections.Counter()
    paths = collections.defaultdict(collections.Counter)
    leaf = collections.defaultdict(collections.Counter)
    comm, syms, first = None, set(), False

    def flush():
        if comm is None:
            return
        total[comm] += 1
        for key, _ in PATHS:
            if key in syms:
                paths[comm][key] += 1

    for line in sys.stdin:
        if not line.strip():
            flush()
            comm = None
            continue
        if not line[0].isspace():  # a sample's header: the thread's name first
            flush()
            comm, syms, first = line.split()[0], set(), True
            continue
        parts = line.split()
        if len(parts) < 2:
            continue
        sym = parts[1].split("+")[0]
        syms.add(sym.split(".")[0] if sym.startswith("finish_task_switch") else sym)
        if first:
            dso = parts[-1].strip("()").rsplit("/", 1)[-1] if parts[-1].startswith("(") else "?"
            leaf[comm][dso] += 1
            first = False
    flush()
    all_samples = sum(total.values())
    if not all_samples:
        sys.exit("perf_threads: no samples")
    try:
        report(total, paths, leaf, all_samples, min_share)
    except BrokenPipeError:
        pass


def report(total, paths, leaf, all_samples, min_share):
    for name, n in total.most_common():
        share = 100.0 * n / all_samples
        if share < min_share:
            continue
        print("%-16s %5.1f%% of the samples (%d)" % (name, share, n))
        for key, label in PATHS:
            if paths[name][key] * 100.0 / n >= 0.5:
                print("    %-40s %5.1f%%" % (label, 100.0 * paths[name][key] / n))
        libs = ", ".join("%s %.0f%%" % (d, 100.0 * c / n) for d, c in leaf[name].most_common(4))
        print("    leaf frames by library: %s" % libs)


if __name__ == "__main__":
    main()
