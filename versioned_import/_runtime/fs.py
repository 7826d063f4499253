"""Files and directories the tool writes: one atomic write and one permission rule for all.

Nothing the tool writes is writable by group or others, whatever the umask: the store serves
every user of a machine, and a writable sitecustomize or plan would let any of them run code in
every interpreter start.
"""

import os

__all__ = ["DIR_MODE", "FILE_MODE", "file_digest", "make_dirs", "sha256_hex", "write_atomic"]

DIR_MODE = 0o755
FILE_MODE = 0o644
_NOT_FOR_OTHERS = 0o022


def make_dirs(path: str) -> None:
    """``os.makedirs`` that gives every directory it creates mode 0755 at most (a stricter umask
    is kept), not only the last."""
    if os.path.isdir(path):
        return
    make_dirs(os.path.dirname(path))
    try:  # noqa: SIM105 (contextlib is not loaded at start-up, where plans are saved)
        os.mkdir(path, DIR_MODE)
    except FileExistsError:  # another process made it meanwhile
        pass


def write_atomic(path: str, data: bytes, mode: int = FILE_MODE, *, durable: bool = False) -> None:
    """Replace ``path`` with ``data`` at once: a reader sees the old file or the new one, never a
    part, and a failure leaves the old one and no temporary file. The file gets ``mode`` without
    group or world write bits, whatever the umask; ``durable`` syncs it to disk first (for the
    user's own files, such as a manifest or a lock)."""
    # A unique temporary name: two writers of one path must not write into one file.
    tmp = f"{path}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with open(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, mode & ~_NOT_FOR_OTHERS)
        os.replace(tmp, path)
    except BaseException:
        try:  # noqa: SIM105 (contextlib is not loaded at start-up, where plans are saved)
            os.unlink(tmp)
        except OSError:
            pass
        raise


def file_digest(path: str, algorithm: str = "sha256") -> bytes:
    """The digest of the file at ``path``, read a block at a time (wheels can be large)."""
    import hashlib  # not at start-up: see sha256_hex

    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def sha256_hex(data: bytes) -> str:
    """``hashlib.sha256(data).hexdigest()``, from CPython's built-in implementation where there
    is one: importing ``hashlib`` loads OpenSSL (~4 ms), which a new project's first run, planned
    in-process, would pay for two hashes."""
    for module in ("_sha2", "_sha256"):  # 3.12 on, before
        try:
            return str(__import__(module).sha256(data).hexdigest())
        except ImportError:
            continue
    import hashlib

    return hashlib.sha256(data).hexdigest()
