"""Public verification pages of issued certificates: ``site/v/<token>/`` (work in progress)."""

from __future__ import annotations


def verification_url(ctx_or_site_url, token: str) -> str:
    """The address a certificate's QR code holds: ``site_url`` + ``v/<token>/``."""
    site_url = ctx_or_site_url if isinstance(ctx_or_site_url, str) else ctx_or_site_url.site_url
    site_url = site_url or "/"
    if not site_url.endswith("/"):
        site_url += "/"
    return f"{site_url}v/{token}/"
