"""Throw-away Redis Cluster and Sentinel deployments on free loopback ports, for the tests.

Both use passwords, so every test through them also shows that the credentials reach every
node: the cluster's in the URL, the Sentinel deployment's (one for the sentinels, one for the
primary and its replica) in environment variables.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import redis

from ...fixtures.servers import free_ports
from .conftest import RedisServer

REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
PASSWORD = "node-password-0123456789"  # throw-away test servers' passwords
SENTINEL_PASSWORD = "sentinel-password-0123456789"
SERVICE = "mymaster"
# Passwords on every data node; a replica syncs at once (the default waits 5 s to batch them).
_REPLICATION = (
    "--requirepass",
    PASSWORD,
    "--masterauth",
    PASSWORD,
    "--repl-diskless-sync-delay",
    "0",
)


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {seconds}s")
        time.sleep(0.05)


def _admin(port: int, password: str = PASSWORD) -> redis.Redis:
    return redis.Redis(port=port, password=password, socket_timeout=1, socket_connect_timeout=1)


def _answers(check: Callable[[int], bool], port: int) -> bool:
    """``check(port)``; False when the node does not answer."""
    try:
        return check(port)
    except (redis.RedisError, OSError):
        return False


class Cluster:
    """``primaries`` primaries, each with ``replicas`` replicas; a node gives up on a silent
    peer after ``node_timeout`` ms, so a killed primary is failed over within ~2 s."""

    def __init__(
        self, workdir: Path, *, primaries: int = 3, replicas: int = 1, node_timeout: int = 1000
    ) -> None:
        self.workdir = workdir
        self.replicas = replicas
        self.node_timeout = node_timeout
        self.count = primaries * (1 + replicas)
        self.nodes = self._new_nodes()
        # Any one node: the client discovers the others.
        self.url = self.url_of(self.nodes[0])

    def _new_nodes(self) -> list[RedisServer]:
        """Nodes on ports of their own: each node's and its bus's, all different."""
        ports = free_ports(2 * self.count)
        return [
            RedisServer(port, self.workdir, self._options(port, bus))
            for port, bus in zip(ports[: self.count], ports[self.count :], strict=True)
        ]

    def _options(self, port: int, bus: int) -> tuple[str, ...]:
        return (
            "--cluster-enabled", "yes",
            "--cluster-config-file", str(self.workdir / f"nodes-{port}.conf"),
            "--cluster-node-timeout", str(self.node_timeout),
            # The bus port defaults to port + 10000, out of range for high free ports.
            "--cluster-port", str(bus),
            # A replica may take over however long ago it last heard its primary.
            "--cluster-replica-validity-factor", "0",
            *_REPLICATION,
        )  # fmt: skip

    @staticmethod
    def url_of(node: RedisServer) -> str:
        return f"redis://:{PASSWORD}@127.0.0.1:{node.port}/0"

    def start(self) -> None:
        try:
            for node in self.nodes:
                node.start()
        except RuntimeError:
            # A port chosen free was taken meanwhile (by a client's outgoing connection, say):
            # once more on other ports.
            self.stop()
            self.nodes = self._new_nodes()
            self.url = self.url_of(self.nodes[0])
            for node in self.nodes:
                node.start()
        subprocess.run(
            [
                REDIS_CLI, "-a", PASSWORD, "--no-auth-warning", "--cluster", "create",
                *(f"127.0.0.1:{node.port}" for node in self.nodes),
                "--cluster-replicas", str(self.replicas), "--cluster-yes",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )  # fmt: skip
        wait_for(self._ready, 20, "cluster ready")

    def _ready(self) -> bool:
        live = [node for node in self.nodes if node.process is not None]
        return all(_answers(self._node_ready, node.port) for node in live)

    def _node_ready(self, port: int) -> bool:
        with _admin(port) as node:
            info = node.cluster("INFO")
            roles = node.cluster("NODES")
            replication = node.info("replication")
        if info.get("cluster_state") != "ok":
            return False
        if replication.get("role") == "slave" and replication.get("master_link_status") != "up":
            return False
        # Every primary has its replicas attached, so a failover has somewhere to go.
        connected = [n for n in roles.values() if "fail" not in n["flags"] and n["connected"]]
        primaries = [n for n in connected if "master" in n["flags"]]
        return len(connected) >= len(primaries) * (1 + self.replicas)

    def primary_of(self, key: str) -> RedisServer:
        """The node that serves ``key``'s slot now."""
        live = next(node for node in self.nodes if node.process is not None)
        with _admin(live.port) as admin:
            slot = int(admin.cluster("KEYSLOT", key))
            for start, end, primary, *_ in admin.execute_command("CLUSTER SLOTS"):
                if start <= slot <= end:
                    port = int(primary[1])
                    return next(node for node in self.nodes if node.port == port)
        raise LookupError(key)

    def hand_over(self, primary: RedisServer, seconds: float) -> RedisServer:
        """A coordinated failover (CLUSTER FAILOVER on a replica): ``primary`` stays up as a
        replica of the returned node, which now serves its slots."""
        with _admin(primary.port) as admin:
            me = admin.execute_command("CLUSTER MYID")
            me = me.decode() if isinstance(me, bytes) else me
            nodes = admin.cluster("NODES")
        port = next(int(a.rsplit(":", 1)[1]) for a, n in nodes.items() if n["master_id"] == me)
        replica = next(node for node in self.nodes if node.port == port)
        with _admin(replica.port) as admin:
            admin.execute_command("CLUSTER FAILOVER")
        self.wait_failed_over(primary, seconds)
        return replica

    def wait_failed_over(self, old: RedisServer, seconds: float) -> None:
        """Until every live node sees the cluster ok with another node serving ``old``'s slots."""
        live = [node for node in self.nodes if node.process is not None]

        def check(port: int) -> bool:
            with _admin(port) as admin:
                slots = admin.execute_command("CLUSTER SLOTS")
                state = admin.cluster("INFO").get("cluster_state")
            return state == "ok" and all(int(row[2][1]) != old.port for row in slots)

        wait_for(lambda: all(_answers(check, node.port) for node in live), seconds, "failover")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


class Sentinels:
    """A primary, its replica and ``count`` sentinels watching them as ``SERVICE``.

    The sentinels and the data nodes have different passwords. A primary that stops answering
    is declared down after ``down_after`` ms and failed over to the replica.
    """

    def __init__(self, workdir: Path, *, count: int = 2, down_after: int = 500) -> None:
        self.workdir = workdir
        ports = free_ports(2 + count)
        self.primary = RedisServer(ports[0], workdir, _REPLICATION)
        self.replica = RedisServer(
            ports[1], workdir, (*_REPLICATION, "--replicaof", "127.0.0.1", "0")
        )  # the port is set in start()
        self.sentinels: list[RedisServer] = []
        for port in ports[2:]:
            config = workdir / f"sentinel-{port}.conf"
            self.sentinels.append(RedisServer(port, workdir, ("--sentinel",), config=config))
        self.down_after = down_after
        self.addresses = [f"127.0.0.1:{sentinel.port}" for sentinel in self.sentinels]

    def start(self) -> None:
        self.primary.start()
        self.replica.args = (*self.replica.args[:-1], str(self.primary.port))
        self.replica.start()
        for sentinel in self.sentinels:
            assert sentinel.config is not None
            sentinel.config.write_text(
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary.port} 1\n"
                f"sentinel auth-pass {SERVICE} {PASSWORD}\n"
                f"sentinel down-after-milliseconds {SERVICE} {self.down_after}\n"
                f"sentinel failover-timeout {SERVICE} 3000\n"
                f"requirepass {SENTINEL_PASSWORD}\n"
                f"sentinel sentinel-pass {SENTINEL_PASSWORD}\n",
                encoding="utf-8",
            )
            sentinel.start()
        # A sentinel learns of the replica from the primary's INFO, which it asks for every
        # 10 s: one round missed on a loaded machine takes 20 s past the start. Ready is usually
        # seen within seconds; the bound only decides when to give up.
        wait_for(self._ready, 45, "sentinels ready")

    def _ready(self) -> bool:
        def sees_all(port: int) -> bool:
            with _admin(port, SENTINEL_PASSWORD) as admin:
                replicas = admin.sentinel_slaves(SERVICE)
                peers = admin.sentinel_sentinels(SERVICE)
            return any(r["port"] == self.replica.port for r in replicas) and (
                len(peers) >= len(self.sentinels) - 1
            )

        def synced(port: int) -> bool:
            with _admin(port) as replica:
                return bool(replica.info("replication").get("master_link_status") == "up")

        return all(_answers(sees_all, s.port) for s in self.sentinels) and _answers(
            synced, self.replica.port
        )

    def primary_port(self) -> int | None:
        """The primary's port as the first sentinel that answers sees it."""
        for sentinel in self.sentinels:
            if sentinel.process is None:
                continue
            with _admin(sentinel.port, SENTINEL_PASSWORD) as admin:
                try:
                    _, port = admin.sentinel_get_master_addr_by_name(SERVICE)
                except (redis.RedisError, OSError):
                    continue
                return int(port)
        return None

    def stop(self) -> None:
        for server in (*self.sentinels, self.replica, self.primary):
            server.stop()
