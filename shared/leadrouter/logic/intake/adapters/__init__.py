"""The source types intake reads, one adapter each, kept by the source's ``kind``.

A new source type (an ad platform's lead webhook) is a module here implementing ``SourceAdapter``
and one entry in ``ADAPTERS``; the pipeline does not change.
"""

from __future__ import annotations

from collections.abc import Iterable

from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.submissions import Channel
from leadrouter.logic.intake.adapters.base import PlatformSettings, SourceAdapter
from leadrouter.logic.intake.adapters.google_ads import GoogleAdsAdapter
from leadrouter.logic.intake.adapters.json_api import JsonApiAdapter
from leadrouter.logic.intake.adapters.json_webhook import JsonWebhookAdapter
from leadrouter.logic.intake.adapters.ladipage import LadiPageAdapter
from leadrouter.logic.intake.adapters.meta_lead_ads import MetaLeadAdsAdapter
from leadrouter.logic.intake.adapters.tiktok import TikTokAdapter
from leadrouter.logic.intake.adapters.web_form import WebFormAdapter
from leadrouter.logic.intake.adapters.zalo_oa import ZaloOaAdapter


class UnknownSourceKind(InvalidInput):
    """No adapter reads this kind of source (a kind this version does not know)."""

    def __init__(self, kind: str, known: Iterable[str]) -> None:
        listed = ", ".join(sorted(known))
        super().__init__(f"no adapter reads sources of kind {kind!r}", {"kind": f"use one of: {listed}"})
        self.kind = kind


class Adapters:
    """The registry: each adapter by the source kind it reads, and by the channel its records carry
    (a stored record is mapped again, on replay, by the adapter that read it)."""

    def __init__(self, adapters: Iterable[SourceAdapter]) -> None:
        self._by_kind: dict[str, SourceAdapter] = {}
        self._by_channel: dict[str, SourceAdapter] = {}
        for adapter in adapters:
            self._by_kind[adapter.kind] = adapter
            self._by_channel[adapter.channel] = adapter

    def of_kind(self, kind: str) -> SourceAdapter:
        adapter = self._by_kind.get(kind)
        if adapter is None:
            raise UnknownSourceKind(kind, self._by_kind)
        return adapter

    def settings_models(self) -> list[type[PlatformSettings]]:
        """Each platform kind's settings model (what an admin sends as a source's ``platform``)."""
        return [a.settings_model for a in self._by_kind.values() if a.settings_model is not None]

    def of_channel(self, channel: Channel) -> SourceAdapter:
        adapter = self._by_channel.get(channel)
        if adapter is None:
            raise UnknownSourceKind(channel, self._by_channel)
        return adapter


ADAPTERS = Adapters(
    [
        WebFormAdapter(),
        JsonApiAdapter(),
        GoogleAdsAdapter(),
        MetaLeadAdsAdapter(),
        TikTokAdapter(),
        ZaloOaAdapter(),
        JsonWebhookAdapter(),
        LadiPageAdapter(),
    ]
)
