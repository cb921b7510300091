"""Campaign tracking: campaigns and placements, classification of collected posts (deliverables,
UGC, competitor mentions), disclosure per market, results (engagements, reach, EMV, CPE, CPM,
forecast vs actual), sales and ROAS, and brand perception per market and language."""

from microscout.tracking.campaigns import (
    close_campaign,
    create_campaign,
    get_campaign,
    list_campaigns,
    resolve_campaign,
)
from microscout.tracking.classify import TrackSummary, track_campaign
from microscout.tracking.results import campaign_results
from microscout.tracking.sales import import_sales
from microscout.tracking.spec import CampaignSpec, load_spec, parse_spec
from microscout.tracking.status import deliverable_status

__all__ = [
    "CampaignSpec",
    "TrackSummary",
    "campaign_results",
    "close_campaign",
    "create_campaign",
    "deliverable_status",
    "get_campaign",
    "import_sales",
    "list_campaigns",
    "load_spec",
    "parse_spec",
    "resolve_campaign",
    "track_campaign",
]
