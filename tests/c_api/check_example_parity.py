#!/usr/bin/env python3
"""Checks that examples/c_embed (C API, static library, "%.9g" output) prints the same float32 vector as
`edgembed embed --threads 1` (shortest round-trip output) for the same text: bit for bit.

Usage: check_example_parity.py --example BIN --cli BIN --model MODEL [--emulator CMD]
"""
import argparse
import json
import os
import shlex
import struct
import subprocess
import sys

TEXT = "edgembed runs on phones."


def float32_bits(numbers):
    # A decimal string to the nearest double, then to float32: both printings identify one float32
    # exactly (9 significant digits, or the shortest round trip), so this recovers its bits.
    return [struct.unpack("<I", struct.pack("<f", float(x)))[0] for x in numbers]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--example", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()

    # A cross build's tests set EDGEMBED_TEST_EMULATOR (e.g. "/usr/bin/qemu-aarch64-static").
    emulator = shlex.split(os.environ.get("EDGEMBED_TEST_EMULATOR", ""))
    example = subprocess.run(emulator + [args.example, args.model], capture_output=True, text=True)
    if example.returncode != 0:
        print(f"example failed ({example.returncode}): {example.stderr}")
        print("0 passed, 1 failed")
        return 1
    cli = subprocess.run(emulator + [args.cli, "embed", "-m", args.model, "--threads", "1"], input=TEXT + "\n",
                         capture_output=True, text=True)
    if cli.returncode != 0:
        print(f"CLI failed ({cli.returncode}): {cli.stderr}")
        print("0 passed, 1 failed")
        return 1
    # parse_float=str, parse_int=str keep the printed digits (and the sign of "-0"); float32_bits converts them.
    a = float32_bits(json.loads(example.stdout, parse_float=str, parse_int=str))
    b = float32_bits(json.loads(cli.stdout.splitlines()[0], parse_float=str, parse_int=str))
    if len(a) != len(b) or len(a) == 0:
        print(f"lengths differ: example {len(a)}, CLI {len(b)}")
        print("0 passed, 1 failed")
        return 1
    differing = [i for i in range(len(a)) if a[i] != b[i]]
    zeros = sum(1 for bits in a if bits & 0x7FFFFFFF == 0)
    if differing or zeros > len(a) // 2:
        print(f"{len(differing)} of {len(a)} floats differ (first: {differing[:5]}); {zeros} zeros")
        print("0 passed, 1 failed")
        return 1
    print(f"{len(a)} floats bit-identical between the C example and the CLI")
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
