"""The Python SDK: an async SocialSync client (python-socketio's AsyncClient underneath).

from socialsync.sdk import SocialSyncClient
"""

from socialsync.sdk.client import Listener, SocialSyncClient, SocialSyncError

__all__ = ["Listener", "SocialSyncClient", "SocialSyncError"]
