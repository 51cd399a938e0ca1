"""A throw-away single-node SLURM cluster for tests: Debian's slurmctld + slurmd + munged.

Usage::

    reason = ensure_packages()          # None, or why there can be no cluster here (skip)
    cluster = SlurmCluster.start()      # munged, slurmctld, slurmd on this host, in a temp dir
    try:
        cluster.run(["sbatch", ...])    # client commands with SLURM_CONF set
        cluster.wait_idle_queue(ids)
    finally:
        cluster.stop()                  # exactly the daemons it started, by PID; removes the
                                        # scratch folder unless LAMINA_KEEP_SLURM is set

Everything lives in a scratch folder (configuration, state, spool, logs, the munge socket), the
daemons listen on free ports and talk through a private munge socket, so a system SLURM or munge on
the same machine is left alone. The recipe follows /work/shared/reference/hpc.md: ``SlurmctldHost``
and ``NodeName`` are ``hostname -s``, ``NodeAddr=127.0.0.1``, ``CPUs=$(nproc)``, linuxproc process
tracking, no task plugin, no accounting, ``select/cons_tres`` with ``CR_Core``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("slurmd", "slurmctld", "slurm-client", "munge")
BINARIES = (
    "/usr/sbin/slurmctld",
    "/usr/sbin/slurmd",
    "/usr/sbin/munged",
    "/usr/bin/sbatch",
    "/usr/bin/squeue",
    "/usr/bin/sinfo",
)


def ensure_packages(timeout: float = 300) -> str | None:
    """Install the Debian packages if needed; return None when ready, else the reason why not."""
    if all(Path(b).exists() for b in BINARIES):
        return None
    if os.geteuid() != 0:
        return "SLURM is not installed and installing it needs root (not root here)"
    apt = shutil.which("apt-get")
    if apt is None:
        return "SLURM is not installed and there is no apt-get to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        up = subprocess.run(
            [apt, "update"], capture_output=True, text=True, env=env, timeout=timeout
        )
        if up.returncode != 0:
            return f"apt-get update failed: {(up.stderr.strip().splitlines() or ['?'])[-1]}"
        inst = subprocess.run(
            [apt, "install", "-y", "--no-install-recommends", *PACKAGES],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"apt-get did not finish in {timeout:.0f} s"
    if inst.returncode != 0:
        return f"apt-get install failed: {(inst.stderr.strip().splitlines() or ['?'])[-1]}"
    missing = [b for b in BINARIES if not Path(b).exists()]
    return f"installed, but missing {missing}" if missing else None


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@dataclass
class SlurmCluster:
    """A running single-node cluster; ``pids`` are the daemons this object started."""

    root: Path
    conf: Path
    host: str
    cpus: int
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def pids(self) -> dict[str, int]:
        return {k: p.pid for k, p in self.procs.items()}

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    # -- life cycle --------------------------------------------------------------------------
    @classmethod
    def start(cls, root: str | Path | None = None, timeout: float = 90) -> SlurmCluster:
        """Write the configuration, start munged, slurmctld and slurmd, wait for an idle node."""
        if root is None:
            root = tempfile.mkdtemp(prefix="lamina-slurm-", dir="/tmp")
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)  # munged runs as the munge user and must reach its socket folder
        host = socket.gethostname().split(".")[0]
        cpus = os.cpu_count() or 1
        c = cls(root=root, conf=root / "slurm.conf", host=host, cpus=cpus)
        try:
            c._start_munged()
            c._write_conf()
            c._start("slurmctld", ["/usr/sbin/slurmctld", "-D", "-i", "-f", str(c.conf)])
            c._start("slurmd", ["/usr/sbin/slurmd", "-D", "-f", str(c.conf)])
            c.wait_idle(timeout)
        except BaseException:
            c.stop()
            raise
        return c

    def _start(self, name: str, cmd: list[str], **kw) -> None:
        log = open(self.root / f"{name}.stdout", "ab")
        self.procs[name] = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=self.env, **kw
        )
        log.close()

    def _start_munged(self) -> None:
        munge = pwd.getpwnam("munge")
        d = self.root / "munge"
        d.mkdir(mode=0o700, exist_ok=True)
        os.chown(d, munge.pw_uid, munge.pw_gid)
        key = Path("/etc/munge/munge.key")
        if not key.exists():
            subprocess.run(
                ["/usr/sbin/mungekey", "--create", "--keyfile", str(key)],
                check=True,
                user="munge",
                group="munge",
                extra_groups=[],
            )
        self.munge_socket = d / "munge.socket"
        self._start(
            "munged",
            [
                "/usr/sbin/munged",
                "--foreground",
                "--force",
                f"--socket={self.munge_socket}",
                f"--pid-file={d / 'munged.pid'}",
                f"--log-file={d / 'munged.log'}",
                f"--seed-file={d / 'munged.seed'}",
            ],
            user="munge",
            group="munge",
            extra_groups=[],
        )
        t0 = time.monotonic()
        while not self.munge_socket.exists():
            if self.procs["munged"].poll() is not None or time.monotonic() - t0 > 20:
                raise RuntimeError(f"munged did not start: {self._tail(d / 'munged.log')}")
            time.sleep(0.1)

    def _write_conf(self) -> None:
        r = self.root
        for sub in ("state", "spool"):
            (r / sub).mkdir(exist_ok=True)
        ctld_port, d_port = _free_ports(2)
        self.conf.write_text(f"""\
# single-node test cluster written by tests/slurm_cluster.py
ClusterName=laminatest
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/slurmctld.log
SlurmdLogFile={r}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
MailProg=/bin/true
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName={self.host} NodeAddr=127.0.0.1 CPUs={self.cpus} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")

    def stop(self, timeout: float = 20, cleanup: bool = True) -> None:
        """Cancel our jobs, stop exactly the daemons this object started (by PID), then remove
        the scratch folder (kept when ``cleanup`` is false or LAMINA_KEEP_SLURM is set)."""
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            self.run(["scancel", "--user", str(os.geteuid())], timeout=20)
            self.wait_queue_empty(timeout=20, raise_on_timeout=False)
        for name in ("slurmd", "slurmctld", "munged"):
            p = self.procs.get(name)
            if p is None or p.poll() is not None:
                continue
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(10)
        stopped = all(p.poll() is not None for p in self.procs.values())
        if cleanup and stopped and not os.environ.get("LAMINA_KEEP_SLURM"):
            shutil.rmtree(self.root, ignore_errors=True)

    # -- client side -------------------------------------------------------------------------
    def run(self, cmd: list[str], timeout: float = 60, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(
            cmd, capture_output=True, text=True, env=self.env, timeout=timeout, **kw
        )

    def wait_idle(self, timeout: float = 90) -> None:
        t0 = time.monotonic()
        state = ""
        while time.monotonic() - t0 < timeout:
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"{name} exited ({p.returncode}): {self.logs()}")
            q = self.run(["sinfo", "-h", "-o", "%T"], timeout=20)
            state = q.stdout.strip()
            if q.returncode == 0 and state == "idle":
                return
            time.sleep(0.5)
        raise RuntimeError(f"node not idle after {timeout:.0f} s (state {state!r}): {self.logs()}")

    def wait_queue_empty(
        self, job_ids: list[str] | None = None, timeout: float = 180, raise_on_timeout: bool = True
    ) -> float:
        """Poll squeue until none of ``job_ids`` (all jobs if None) is pending or running."""
        t0 = time.monotonic()
        cmd = ["squeue", "-h", "-o", "%i %T"] + (["-j", ",".join(job_ids)] if job_ids else [])
        while True:
            q = self.run(cmd, timeout=20)
            if q.returncode == 0 and not q.stdout.strip():
                return time.monotonic() - t0
            # squeue -j on jobs that have left the queue fails with "Invalid job id"
            if q.returncode != 0 and "Invalid job id" in q.stderr:
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                if raise_on_timeout:
                    raise TimeoutError(
                        f"jobs still queued after {timeout:.0f} s:\n{q.stdout}\n{self.logs()}"
                    )
                return time.monotonic() - t0
            time.sleep(1.0)

    def job_states(self, job_id: str) -> list[str]:
        """JobState of every array task of ``job_id`` (while within MinJobAge)."""
        q = self.run(["scontrol", "-o", "show", "job", job_id], timeout=20)
        return [
            tok.split("=", 1)[1]
            for line in q.stdout.splitlines()
            for tok in line.split()
            if tok.startswith("JobState=")
        ]

    @staticmethod
    def _tail(path: Path, n: int = 15) -> str:
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return f"({path.name} unreadable)"

    def logs(self) -> str:
        parts = []
        for f in (
            "slurmctld.log",
            "slurmd.log",
            "slurmctld.stdout",
            "slurmd.stdout",
            "munge/munged.log",
        ):
            parts.append(f"--- {f}\n{self._tail(self.root / f)}")
        return "\n".join(parts)
