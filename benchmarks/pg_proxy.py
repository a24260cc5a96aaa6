"""A TCP proxy in front of PostgreSQL that counts round trips, for the round-trips figure.

Every exchange in which a client waits for PostgreSQL ends with the server's ReadyForQuery
message ('Z'): after a simple query, after each Sync of the extended protocol (a prepared
statement's Bind/Execute/Sync, or a Parse/Describe/Sync when asyncpg prepares one) and at the end
of a connection's start-up. Counting those messages counts round trips, whatever the driver and
the SQL. The proxy runs in a thread of its own, on the loopback interface only, and reads the
wire format only to find message boundaries; SSL must be off (it is for a local server), since
an encrypted stream cannot be read.
"""

import asyncio
import threading
from collections.abc import Callable

HOST = "127.0.0.1"
SSL_REQUEST, GSSENC_REQUEST, PROTOCOL_3 = 80877103, 80877104, 196608


class _Connection:
    """Message framing of one proxied connection, both directions."""

    def __init__(self, on_ready: Callable[[], None]) -> None:
        self.on_ready = on_ready
        self.client = bytearray()
        self.server = bytearray()
        self.started = False  # the client's start-up message was sent: typed messages follow
        self.pending_answers = 0  # one-byte answers the server owes to SSL/GSS requests
        self.readable = True

    def from_client(self, data: bytes) -> None:
        if self.started or not self.readable:
            return  # typed messages from the client need no counting
        self.client += data
        while len(self.client) >= 8:
            length = int.from_bytes(self.client[:4], "big")
            code = int.from_bytes(self.client[4:8], "big")
            if len(self.client) < length:
                return
            del self.client[:length]
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                self.pending_answers += 1
            elif code == PROTOCOL_3:
                self.started = True
                self.client.clear()
                return

    def from_server(self, data: bytes) -> None:
        if not self.readable:
            return
        self.server += data
        position = 0
        while True:
            if self.pending_answers:
                if position >= len(self.server):
                    break
                answer = self.server[position]
                position += 1
                self.pending_answers -= 1
                if answer in b"SG":  # encryption accepted: the rest cannot be read
                    self.readable = False
                    break
                continue
            if len(self.server) - position < 5:
                break
            length = int.from_bytes(self.server[position + 1 : position + 5], "big")
            if len(self.server) - position < 1 + length:
                break
            if self.server[position] == ord("Z"):
                self.on_ready()
            position += 1 + length
        del self.server[:position]


class RoundTripCounter:
    """Serves on a free loopback port and forwards to PostgreSQL on `target_port`."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target_port = target_port
        self.round_trips = 0
        self.connections = 0
        self.unreadable = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> "RoundTripCounter":
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def reset(self) -> None:
        self.round_trips = self.connections = self.unreadable = 0

    def _ready(self) -> None:
        self.round_trips += 1

    async def _listen(self) -> asyncio.Server:
        return await asyncio.start_server(self._handle, HOST, 0)

    async def _close(self) -> None:
        if self._server:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server:
            await self._server.wait_closed()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            server_reader, server_writer = await asyncio.open_connection(HOST, self.target_port)
        except OSError:
            client_writer.close()
            return
        framing = _Connection(self._ready)
        self._writers |= {client_writer, server_writer}
        await asyncio.gather(
            self._pump(client_reader, server_writer, framing.from_client),
            self._pump(server_reader, client_writer, framing.from_server),
        )
        if not framing.readable:
            self.unreadable += 1
        self._writers -= {client_writer, server_writer}

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, see: Callable[[bytes], None]) -> None:
        try:
            while data := await reader.read(65536):
                see(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
