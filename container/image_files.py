#!/usr/bin/env python3
"""Lists the files an image's layers hold, from `docker save` / `podman save` output.

    ENGINE save IMAGE | container/image_files.py [--extract PATH DIR]

Prints one path per line (directories end in /); with --extract, also writes the file
PATH of the final layers to DIR, with the mode the image gives it. Reading the saved layers, not a container's export,
keeps the files the engine adds to every container (/etc/hosts, /dev, ...) out of it.
Both the docker-archive and the OCI layout that `save` writes carry manifest.json.
"""
import argparse
import io
import json
import os
import sys
import tarfile


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", nargs=2, metavar=("PATH", "DIR"))
    args = parser.parse_args()

    archive = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()), mode="r:*")
    manifest = json.load(archive.extractfile("manifest.json"))
    if len(manifest) != 1:
        sys.exit(f"expected one image in the archive, found {len(manifest)}")
    files = {}
    for layer_path in manifest[0]["Layers"]:
        layer = tarfile.open(fileobj=archive.extractfile(layer_path), mode="r:*")
        for member in layer.getmembers():
            name = member.name.removeprefix("./").rstrip("/")
            if not name:
                continue
            base = os.path.basename(name)
            if base.startswith(".wh."):  # a whiteout: a lower layer's file was deleted
                files.pop(os.path.join(os.path.dirname(name), base[4:]), None)
                continue
            files[name] = (member, layer)
    for name in sorted(files):
        print(name + ("/" if files[name][0].isdir() else ""))
    if args.extract:
        wanted, directory = args.extract
        member, layer = files.get(wanted.lstrip("/"), (None, None))
        if member is None or not member.isfile():
            sys.exit(f"no file {wanted} in the image")
        path = os.path.join(directory, os.path.basename(wanted))
        with open(path, "wb") as out:
            out.write(layer.extractfile(member).read())
        os.chmod(path, member.mode & 0o7777)  # the mode the image gives it
    return 0


if __name__ == "__main__":
    sys.exit(main())
