"""Socket.IO packets with event names python-socketio can look up.

python-socketio looks an event's handler up by its name in a dict, so a name that
is a list or an object (a JSON array or object where the name belongs) raises
``TypeError: unhashable type`` inside its dispatch: the client gets no answer and
every such packet logs a stack trace. Decoded here, such a name becomes the name of
its JSON type, which the gateway answers like any other unknown event
(``bad_request``, "unknown event 'list'"); an event packet with no name at all
becomes the empty name, refused the same way.
"""

from __future__ import annotations

from typing import Any

from socketio import packet


class CheckedPacket(packet.Packet):  # type: ignore[misc]
    def decode(self, encoded_packet: Any) -> int:
        attachments: int = super().decode(encoded_packet)
        data: Any = self.data
        if self.packet_type == packet.EVENT and isinstance(data, list):
            if not data:
                data.append("")
            elif not isinstance(data[0], str | int | float | bool | None):
                data[0] = type(data[0]).__name__
        return attachments
