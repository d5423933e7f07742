"""Round trips a program makes to a database server, counted on the wire.

A `Counter` is a TCP proxy on 127.0.0.1 in front of a server. A round trip is counted each time a
client sends after it has received (or sends first): the client waited for the server's answer
before it could go on. Pipelined statements sent before any answer count once; so does the
driver's own traffic (handshake, authentication, TLS, session settings). Only the turns are
counted, so the proxy's own latency does not matter; time programs without it.
"""

import socket
import threading


class Counter:
    """A proxy to `port` on 127.0.0.1 counting connections and round trips, while open."""

    def __init__(self, port):
        self.upstream = port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.connections = 0
        self.round_trips = 0
        self.open = []
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.listener.close()

    def reset(self):
        with self.lock:
            self.connections = 0
            self.round_trips = 0

    def wait_idle(self, timeout=5.0):
        """Waits (bounded) until every connection the proxy carried has closed."""
        for thread in list(self.open):
            thread.join(timeout)

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.connections += 1
            state = {"last": None}
            pumps = [
                threading.Thread(target=self._pump, args=(client, server, "out", state), daemon=True),
                threading.Thread(target=self._pump, args=(server, client, "in", state), daemon=True),
            ]
            for p in pumps:
                p.start()
            self.open.extend(pumps)

    def _pump(self, src, dst, direction, state):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self.lock:
                    if direction == "out" and state["last"] != "out":
                        self.round_trips += 1
                    state["last"] = direction
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
