#!/usr/bin/env python3
"""Write a small per-platform image in an OCI image layout, shaped the way
`docker buildx build --platform P --push` with attestations pushes one by digest: an
image index holding the image manifest (with its platform) and an attestation manifest
(platform unknown/unknown, annotated as an attestation of that image).

    make-oci-layout.py DIR OS/ARCH

The image's one layer holds /platform with OS/ARCH in it; everything is deterministic,
so the same platform gives the same digests. Prints the index's digest.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, digest), "wb") as f:
        f.write(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def canonical(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def main(layout, platform):
    os_name, arch = platform.split("/")
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        content = f"{platform}\n".encode()
        info = tarfile.TarInfo("platform")
        info.size, info.mtime, info.mode = len(content), 0, 0o644
        tar.addfile(info, io.BytesIO(content))
    raw_tar = tar_bytes.getvalue()
    layer_gz = gzip.compress(raw_tar, mtime=0)
    layer = blob(layout, layer_gz)
    config = blob(layout, canonical({
        "architecture": arch, "os": os_name,
        "config": {"Entrypoint": ["/hello-service"], "User": "65532"},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(raw_tar).hexdigest()}"]},
    }))
    manifest_bytes = canonical({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}],
    })
    manifest = blob(layout, manifest_bytes)
    statement = blob(layout, canonical({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": "hello-service", "digest": {"sha256": manifest["digest"][7:]}}],
        "predicate": {"builder": {"id": "make-oci-layout.py"}},
    }))
    empty_config = blob(layout, canonical({"architecture": "unknown", "os": "unknown", "rootfs": {"type": "layers", "diff_ids": []}}))
    attestation = blob(layout, canonical({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **empty_config},
        "layers": [{"mediaType": "application/vnd.in-toto+json", **statement,
                    "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}],
    }))
    index = blob(layout, canonical({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest,
             "platform": {"architecture": arch, "os": os_name}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", **attestation,
             "platform": {"architecture": "unknown", "os": "unknown"},
             "annotations": {"vnd.docker.reference.digest": manifest["digest"],
                             "vnd.docker.reference.type": "attestation-manifest"}},
        ],
    }))
    with open(os.path.join(layout, "oci-layout"), "w", encoding="utf-8") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(layout, "index.json"), "w", encoding="utf-8") as f:
        json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", **index}]}, f)
    print(index["digest"])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make-oci-layout.py DIR OS/ARCH")
    main(sys.argv[1], sys.argv[2])
