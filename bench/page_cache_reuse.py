#!/usr/bin/env python3
"""The page cache's reuse of freed memory, by the size of the writes.

Writes 256 files of 4.5 MB ("buckets") in pieces of BUCKET_WRITE bytes,
waits 2 s, then, as a partitioned run distributes its buckets, reads each
bucket, removes it and writes its size again across 26 other files
("partitions") in pieces of PART_WRITE bytes, and prints the CPU time of
that second step.  About 1.15 GB under DIR, removed at the end.

On a virtual machine whose free memory goes back to its host (free page
reporting), folios freed by one write size do not serve another, and the
second step then faults its pages in from the host (bench/RESULTS.md).

Usage: page_cache_reuse.py DIR BUCKET_WRITE PART_WRITE
  e.g. page_cache_reuse.py /var/tmp/reuse 65536 262144
"""
import os
import sys
import time

BUCKETS, BUCKET_BYTES, PARTS = 256, 4500 * 1024, 26


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    top, bucket_write, part_write = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(top, exist_ok=False)
    buckets = [os.path.join(top, f"bucket{b}") for b in range(BUCKETS)]
    parts = [os.path.join(top, f"part{i}") for i in range(PARTS)]
    try:
        files = [open(name, "wb", buffering=0) for name in buckets]
        piece = b"b" * bucket_write
        for _ in range(BUCKET_BYTES // bucket_write):
            for f in files:
                f.write(piece)
        for f in files:
            f.close()
        time.sleep(2)
        cpu = time.process_time()
        files = [open(name, "wb", buffering=0) for name in parts]
        piece = b"p" * part_write
        for name in buckets:
            with open(name, "rb") as f:
                f.read()
            os.unlink(name)
            for k in range(BUCKET_BYTES // part_write):
                files[k % PARTS].write(piece)
        for f in files:
            f.close()
        print(f"buckets written {bucket_write} B at a time, partitions {part_write} B: "
              f"distribution {time.process_time() - cpu:.2f} s of CPU")
    finally:
        for name in buckets + parts:
            if os.path.exists(name):
                os.unlink(name)
        os.rmdir(top)


if __name__ == "__main__":
    main()
