"""Analytics: a pseudonymous event stream per tenant (``events``), watch sections and
the rest of the stream made from what the request path observed (``tracker``), its
incremental aggregation (``fold``) and every metric (``metrics``). docs/analytics.md."""

from socialsync.domain.analytics.events import Batch, Event, Kind, MediaInfo, media_id_of
from socialsync.domain.analytics.pseudonyms import Pseudonyms

__all__ = ["Batch", "Event", "Kind", "MediaInfo", "Pseudonyms", "media_id_of"]
